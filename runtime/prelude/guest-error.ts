/** A host rejection ([name, message]) as a guest error of the right class. Bundled into the pieces that need it. */
export function guestError(reason: unknown): Error {
  if (!Array.isArray(reason)) return reason instanceof Error ? reason : new Error(String(reason));
  const [name, message] = reason as [string, string];
  if (name === "TypeError") return new TypeError(message);
  if (name === "RangeError") return new RangeError(message);
  const error = new Error(message);
  if (name !== "Error")
    Object.defineProperty(error, "name", { value: name, configurable: true, writable: true });
  return error;
}
