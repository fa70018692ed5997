/** Files every `picloud init` template writes: ignore rules, secrets example, TypeScript and npm settings. */

export type TemplateFiles = Record<string, string>;

export function commonFiles(slug: string, dependencies: Record<string, string> = {}): TemplateFiles {
  const pkg = {
    name: slug,
    private: true,
    type: "module",
    scripts: { deploy: "picloud deploy", test: "vitest run", typecheck: "tsc --noEmit" },
    ...(Object.keys(dependencies).length ? { dependencies } : {}),
    devDependencies: { typescript: "^5.9.3", vitest: "^4.1.12" },
  };
  const tsconfig = {
    compilerOptions: {
      target: "ES2022",
      module: "ESNext",
      moduleResolution: "Bundler",
      lib: ["ES2022", "DOM", "DOM.Iterable"],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    },
    include: ["src", "test"],
  };
  return {
    ".gitignore": "node_modules/\n.picloud/\n.dev.vars\n",
    ".dev.vars.example":
      "# Secrets for local development: copy to .dev.vars (git-ignored) and fill in.\n# In production set them with: picloud secrets put NAME\n# API_TOKEN=change-me\n",
    "package.json": `${JSON.stringify(pkg, null, 2)}\n`,
    "tsconfig.json": `${JSON.stringify(tsconfig, null, 2)}\n`,
  };
}
