/**
 * Validator adapters: anything with `parse(value)` (zod schemas as they are,
 * valibot via `{ parse: (v) => v.parse(schema, v) }`), a plain function, or a
 * Standard Schema v1 object (valibot and zod schemas implement it).
 */

export interface ParseValidator<T> {
  parse(value: unknown): T;
}

export interface StandardSchemaLike<T> {
  readonly "~standard": {
    readonly version: 1;
    validate(
      value: unknown,
    ):
      | { readonly value: T; readonly issues?: undefined }
      | { readonly issues: ReadonlyArray<{ readonly message: string }> }
      | Promise<unknown>;
  };
}

export type Validator<T> = ParseValidator<T> | StandardSchemaLike<T> | ((value: unknown) => T);

/** Thrown by a Standard Schema validator that reported issues. */
export class ValidationError extends Error {
  override readonly name = "ValidationError";
  readonly issues: ReadonlyArray<{ readonly message: string }>;

  constructor(issues: ReadonlyArray<{ readonly message: string }>) {
    super(issues.map((issue) => issue.message).join("; ") || "Validation failed");
    this.issues = issues;
  }
}

/** Runs the validator synchronously; throws whatever the validator throws. */
export function runValidator<T>(validator: Validator<T>, value: unknown): T {
  if (typeof validator === "function") return validator(value);
  if ("parse" in validator && typeof validator.parse === "function") return validator.parse(value);
  if ("~standard" in validator) {
    const result = validator["~standard"].validate(value);
    if (typeof (result as { then?: unknown }).then === "function") {
      throw new TypeError("Asynchronous schemas are not supported; use a synchronous schema");
    }
    const checked = result as { value?: T; issues?: ReadonlyArray<{ readonly message: string }> };
    if (checked.issues) throw new ValidationError(checked.issues);
    return checked.value as T;
  }
  throw new TypeError("validate must be a function, an object with parse(), or a Standard Schema");
}
