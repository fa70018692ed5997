/**
 * Sealing the shared realm (in the spirit of SES lockdown/harden): once the
 * prelude is installed, everything a script could reach in the shared realm —
 * its intrinsics, hidden ones included, and the prelude's shared objects — is
 * frozen, code can no longer be compiled there, and its global object keeps
 * only the names rebound to each execution's intrinsics. Runs once per
 * runtime, at boot, before any script. Bundled into the core.
 */

type Fn = (...args: unknown[]) => unknown;

/** Objects only reachable through syntax, never through a property path from the global object. */
function hiddenIntrinsics(): unknown[] {
  const proto = Object.getPrototypeOf;
  const out: unknown[] = [
    proto(function* () {}),
    proto(async () => {}),
    proto(async function* () {}),
    proto([][Symbol.iterator]()),
    proto(new Map()[Symbol.iterator]()),
    proto(new Set()[Symbol.iterator]()),
    proto(""[Symbol.iterator]()),
    proto(/a/[Symbol.matchAll]("")),
    (function (this: unknown) {
      // biome-ignore lint/complexity/noArguments: the strict arguments object's callee accessor (%ThrowTypeError%)
      return arguments;
    })(),
  ];
  const values = [][Symbol.iterator]() as unknown as { map?: (f: Fn) => unknown };
  if (typeof values.map === "function") out.push(proto(values.map((x) => x)));
  const IteratorCtor = (globalThis as { Iterator?: { from?(x: unknown): unknown } }).Iterator;
  if (typeof IteratorCtor?.from === "function")
    out.push(proto(IteratorCtor.from({ next: () => ({ done: true, value: undefined }) })));
  return out;
}

/**
 * Objects whose state lives in internal slots that freezing does not protect (a shared Map,
 * Date or ArrayBuffer would be a channel between executions): the shared realm must hold none
 * where a script can reach it. Only the prelude has put objects in the realm at this point,
 * so checking against the realm's own constructors is enough.
 */
const STATEFUL: [string, unknown][] = [
  ["Map", Map],
  ["Set", Set],
  ["WeakMap", WeakMap],
  ["WeakSet", WeakSet],
  ["Date", Date],
  ["Promise", Promise],
  ["ArrayBuffer", ArrayBuffer],
  ["RegExp", RegExp],
];

function statefulKind(value: object): string | null {
  if (ArrayBuffer.isView(value)) return "ArrayBufferView";
  for (const [kind, ctor] of STATEFUL) if (value instanceof (ctor as new () => object)) return kind;
  return null;
}

/**
 * Freezes `roots` and everything reachable from them through own properties (values and
 * accessors) and prototypes. Throws if it meets an object with internal mutable state.
 */
export function harden(roots: readonly unknown[], skip: readonly object[] = []): void {
  const seen = new Set<object>(skip);
  const stack: object[] = [];
  const push = (value: unknown): void => {
    if ((typeof value === "object" && value !== null) || typeof value === "function") {
      if (!seen.has(value)) {
        seen.add(value);
        stack.push(value);
      }
    }
  };
  for (const root of roots) push(root);
  while (stack.length > 0) {
    const object = stack.pop()!;
    const kind = statefulKind(object);
    if (kind !== null) throw new TypeError(`prelude: a shared ${kind} would be reachable from scripts`);
    Object.freeze(object);
    push(Object.getPrototypeOf(object));
    for (const key of Reflect.ownKeys(object)) {
      const desc = Object.getOwnPropertyDescriptor(object, key)!;
      if ("value" in desc) push(desc.value);
      else {
        push(desc.get);
        push(desc.set);
      }
    }
  }
}

/**
 * Seals the shared realm: no code can be compiled in it any more (the Function constructors
 * are replaced by a thrower, eval is gone), every intrinsic and every object in `shared` is
 * frozen, and the global object keeps only `rebound` (writable, not configurable) plus the
 * immutable undefined/NaN/Infinity.
 */
export function lockdown(
  global: Record<PropertyKey, unknown>,
  rebound: readonly string[],
  shared: unknown[],
): void {
  const noCompile = function noCompile(): never {
    throw new TypeError("code cannot be compiled in the shared prelude realm");
  };
  const proto = Object.getPrototypeOf;
  for (const p of [
    Function.prototype,
    proto(function* () {}),
    proto(async () => {}),
    proto(async function* () {}),
  ])
    Object.defineProperty(p, "constructor", {
      value: noCompile,
      writable: false,
      enumerable: false,
      configurable: false,
    });
  const roots: unknown[] = [...hiddenIntrinsics(), ...shared];
  for (const key of Reflect.ownKeys(global)) {
    const desc = Object.getOwnPropertyDescriptor(global, key)!;
    roots.push(desc.value, desc.get, desc.set);
  }
  harden(roots, [global]);
  // The loop below removes the globals it uses (Object, Reflect…): hold on to what it needs.
  const { defineProperty, preventExtensions } = Object;
  const keep = new Set(rebound);
  for (const key of Reflect.ownKeys(global)) {
    if (typeof key === "string" && keep.has(key))
      defineProperty(global, key, {
        value: undefined,
        writable: true,
        enumerable: false,
        configurable: false,
      });
    else if (key !== "undefined" && key !== "NaN" && key !== "Infinity") delete global[key];
  }
  preventExtensions(global);
}
