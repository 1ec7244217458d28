// Stands in for upstream's backend-derivation helpers (`src/backend/derive-backend`), which some
// integration modules use to build a variant of the test backend: an overlay of members
// (`deriveBackend`) or the backend with members hidden (`projectBackendWithout`,
// `projectGraphBackend`). Here each is a proxy over one of this package's backends. Our backends
// keep their state in private fields, so a member read through a proxy is bound to the backend it
// comes from. Overlaid members this package's store never calls (`transaction`,
// `executeTemporaryStatement`, `capabilities.maxBindParameters`) change nothing it does.
/* eslint-disable @typescript-eslint/no-explicit-any */
const own = (object: object, key: PropertyKey) => Object.prototype.hasOwnProperty.call(object, key);

function member(target: any, key: PropertyKey): unknown {
  const value = Reflect.get(target, key, target);
  return typeof value === "function" ? value.bind(target) : value;
}

export function deriveBackend<T extends object>(base: T, overrides: Partial<T>): T {
  return new Proxy(base, {
    get: (target, key) => (own(overrides, key) ? (overrides as any)[key] : member(target, key)),
    has: (target, key) => own(overrides, key) || Reflect.has(target, key),
  });
}

export function projectBackendWithout<T extends object, K extends keyof T>(base: T, omitted: readonly K[]): Omit<T, K> {
  const hidden = new Set<PropertyKey>(omitted);
  return new Proxy(base, {
    get: (target, key) => (hidden.has(key) ? undefined : member(target, key)),
    has: (target, key) => !hidden.has(key) && Reflect.has(target, key),
  });
}

export function projectGraphBackend<T extends object>(base: T): T {
  return projectBackendWithout(base, []) as T;
}

export function projectBackend<T extends object>(base: T): T {
  return projectBackendWithout(base, []) as T;
}
