/**
 * Native array loops run to `length` without polling the interrupt handler
 * (quickjs-emscripten #219): on a sparse array of length 1e9 they would block
 * the process for minutes. No dense array that large fits in a sandbox's
 * memory, so such lengths are refused before the native loop starts. Bundled
 * into the core.
 */

/** Array methods whose native loop runs to `length` without polling the interrupt handler. */
export const ARRAY_LOOPS =
  "concat,copyWithin,every,fill,filter,flat,flatMap,forEach,includes,indexOf,join,lastIndexOf,map,reduce," +
  "reduceRight,reverse,shift,unshift,slice,some,sort,splice,toLocaleString,toReversed,toSorted,toSpliced,with";
const HUGE_ARRAY = 2 ** 24;

type Method = (...args: unknown[]) => unknown;

const tooLong = (value: unknown): boolean =>
  value != null &&
  (value as { length?: unknown }).length !== undefined &&
  +((value as { length: unknown }).length as number) > HUGE_ARRAY;

/**
 * Wrappers named like the natives they guard. `nativeOf(name)` finds the native to call: a
 * fixed one for the shared realm's arrays, the running execution's for a context's arrays.
 * `apply` is the shared realm's own Reflect.apply, so a script cannot intercept the call.
 */
export function arrayGuards(
  names: readonly string[],
  nativeOf: (name: string) => Method | undefined,
  apply: typeof Reflect.apply,
): Record<string, Method> {
  const out: Record<string, Method> = Object.create(null);
  for (const name of names) {
    const concat = name === "concat";
    out[name] = {
      [name](this: unknown, ...args: unknown[]): unknown {
        let huge = tooLong(this);
        if (concat) for (let i = 0; i < args.length && !huge; i++) huge = tooLong(args[i]);
        if (huge)
          throw new RangeError(
            `Array.prototype.${name} on more than ${HUGE_ARRAY} elements is not allowed in the sandbox`,
          );
        const native = nativeOf(name);
        if (native === undefined) throw new TypeError(`Array.prototype.${name} is not available here`);
        return apply(native, this, args);
      },
    }[name]!;
  }
  return out;
}
