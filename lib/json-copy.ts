/**
 * `JSON.parse(JSON.stringify(value))` without the text: a deep copy of plain JSON data as its
 * stored form reads back. Used where the engine stores props exactly as sent and the caller
 * still holds what it sent, so the written rows need not carry the props back across the
 * boundary.
 *
 * Plain data is copied directly: strings, booleans, null, finite numbers (-0 becomes 0, as
 * JSON writes it), arrays (a hole or `undefined` becomes null), and objects whose prototype is
 * `Object.prototype` or null (keys whose value is `undefined` are left out, as JSON does). Any
 * other value anywhere inside (Date, Map, class instances, functions, bigint, NaN, `toJSON`
 * holders…) sends the whole value through `JSON.stringify` and `JSON.parse`, so the result is
 * always what the text round trip gives.
 */
export function jsonCopy(value: unknown): unknown {
  const out = copy(value);
  return out === NOT_PLAIN ? JSON.parse(JSON.stringify(value) ?? "null") : out;
}

const NOT_PLAIN = Symbol("notPlain");

function copy(v: unknown): unknown {
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "number":
      return Number.isFinite(v) ? (v === 0 ? 0 : v) : NOT_PLAIN;
    case "object": {
      if (v === null) return null;
      if (Array.isArray(v)) {
        if (Object.getPrototypeOf(v) !== Array.prototype) return NOT_PLAIN;
        const n = v.length;
        const a = new Array(n);
        for (let i = 0; i < n; i++) {
          const item = v[i];
          if (item === undefined) {
            a[i] = null;
            continue;
          }
          const c = copy(item);
          if (c === NOT_PLAIN) return NOT_PLAIN;
          a[i] = c;
        }
        return a;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(v)) {
        const item = (v as Record<string, unknown>)[k];
        if (item === undefined) continue;
        if (k === "toJSON" || k === "__proto__") return NOT_PLAIN;
        const c = copy(item);
        if (c === NOT_PLAIN) return NOT_PLAIN;
        o[k] = c;
      }
      return o;
    }
    default:
      // undefined, function, symbol (JSON leaves them out of objects), bigint (JSON throws).
      return NOT_PLAIN;
  }
}

/**
 * {@link jsonCopy} of `value` whose JSON text `text` the caller already holds (it sent that text
 * to be stored): the same copy, and `JSON.parse(text)` instead of a second stringify where the
 * value is not plain data.
 */
export function jsonCopyOf(value: unknown, text: string): unknown {
  const out = copy(value);
  return out === NOT_PLAIN ? JSON.parse(text) : out;
}
