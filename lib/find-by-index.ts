// `bulkFindByIndex`: the checks that run before any SQL (index resolution, key types, probe
// values, the per-input cap) and the dedupe of probe tuples. The engine's `findByIndex`
// operation compiles and runs one statement for all distinct tuples.

import type { GraphDef } from "./core.js";
import { ConfigurationError, NodeIndexNotFoundError, ValidationError } from "./errors.js";
import { parsePointer, type IndexDeclaration, type NodeIndexDeclaration, type ValueType } from "./indexes.js";

export interface NodeBulkFindByIndexOptions {
  /** At most this many nodes per input (the lowest ids); a positive integer. Unbounded by default. */
  readonly limitPerInput?: number;
}

/** The arguments of the engine's `findByIndex` plus, per input, the probe tuple it shares. */
export interface IndexProbePlan {
  args: {
    kind: string;
    index: string;
    fields: readonly string[];
    fieldValueTypes: readonly (ValueType | null)[];
    where: unknown;
    probes: (string | number | boolean | null)[][];
    limitPerInput?: number;
  };
  /** For each input item, the position of its probe tuple in `args.probes`. */
  inputGroup: number[];
}

function findIndex(graph: GraphDef | undefined, kind: string, name: string): NodeIndexDeclaration {
  const all = (graph as { indexes?: readonly IndexDeclaration[] } | undefined)?.indexes ?? [];
  const hit = all.find((d) => d.entity === "node" && d.kind === kind && d.name === name);
  if (hit?.entity !== "node") throw new NodeIndexNotFoundError(name, kind);
  return hit;
}

function readPointer(props: unknown, pointer: string): unknown {
  let cur: unknown = props;
  for (const seg of parsePointer(pointer)) {
    if (cur === null || cur === undefined || typeof cur !== "object") return undefined;
    cur = Object.prototype.hasOwnProperty.call(cur, seg) ? (cur as Record<string, unknown>)[seg] : undefined;
  }
  return cur;
}

const TYPEOF: Partial<Record<ValueType, string>> = { string: "string", number: "number", boolean: "boolean" };

function probeTypeError(pointer: string, kind: string, expected: string, value: unknown): ValidationError {
  return new ValidationError(`Index probe value for "${pointer}" on node kind "${kind}" has an incompatible type`, {
    entityType: "node",
    kind,
    issues: [{ path: pointer, message: `Expected ${expected}, received ${typeof value}`, code: "invalid_type" }],
  });
}

/** One probe value, checked against its key field's type; Dates read as their ISO text. */
function probeValue(value: unknown, type: ValueType | undefined, pointer: string, kind: string): string | number | boolean | null {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw probeTypeError(pointer, kind, "a valid Date", value);
    if (type !== undefined && TYPEOF[type] !== undefined) throw probeTypeError(pointer, kind, TYPEOF[type]!, value);
    return value.toISOString();
  }
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
    throw probeTypeError(pointer, kind, "a scalar (string, number, boolean, or Date)", value);
  }
  const expected = type === undefined ? undefined : TYPEOF[type];
  if (expected !== undefined && typeof value !== expected) throw probeTypeError(pointer, kind, expected, value);
  if (typeof value === "number" && !Number.isFinite(value)) throw probeTypeError(pointer, kind, "a finite number", value);
  return value;
}

/** Checks everything upstream checks before SQL and dedupes the probe tuples. */
export function planIndexProbe(
  graph: GraphDef | undefined,
  kind: string,
  indexName: string,
  items: readonly { props: unknown }[],
  options: NodeBulkFindByIndexOptions | undefined,
): IndexProbePlan {
  const index = findIndex(graph, kind, indexName);
  if (index.method !== undefined) {
    throw new ConfigurationError(
      `bulkFindByIndex cannot probe index "${indexName}" (method "${index.method}"): only btree indexes serve equality probes.`,
      { indexName, kind, method: index.method },
    );
  }
  if (index.fields.length === 0) {
    throw new ConfigurationError(
      `bulkFindByIndex requires an index with at least one prop-based field on index "${indexName}" (node kind "${kind}")`,
      { indexName, kind },
      { suggestion: "Probes are read from the index's fields; an index with only keySystemColumns or coveringFields has no key to look up by." },
    );
  }
  if (index.fieldValueTypes.includes("date")) {
    throw new ConfigurationError(
      `bulkFindByIndex does not support date-typed key fields on index "${indexName}" (node kind "${kind}")`,
      { indexName, kind },
      { suggestion: "SQLite and PostgreSQL compare stored dates differently; key the lookup on a string field, or filter dates with store.query()." },
    );
  }
  const limit = options?.limitPerInput;
  if (limit !== undefined && (typeof limit !== "number" || !Number.isInteger(limit) || limit <= 0)) {
    throw new ValidationError("bulkFindByIndex limitPerInput must be a positive integer", {
      entityType: "node",
      kind,
      issues: [{ path: "limitPerInput", message: `Expected a positive integer, received ${String(limit)}`, code: "invalid_value" }],
    });
  }
  const seen = new Map<string, number>();
  const probes: (string | number | boolean | null)[][] = [];
  const inputGroup: number[] = [];
  for (const item of items) {
    const tuple = index.fields.map((pointer, i) => probeValue(readPointer(item?.props, pointer), index.fieldValueTypes[i], pointer, kind));
    // Tagged so a null never collides with a value, and 1 never with "1".
    const key = JSON.stringify(tuple.map((v) => (v === null ? 0 : [typeof v, v])));
    let group = seen.get(key);
    if (group === undefined) {
      group = probes.length;
      seen.set(key, group);
      probes.push(tuple);
    }
    inputGroup.push(group);
  }
  return {
    args: {
      kind,
      index: indexName,
      fields: index.fields,
      fieldValueTypes: index.fieldValueTypes.map((t) => t ?? null),
      where: index.where ?? null,
      probes,
      ...(limit === undefined ? {} : { limitPerInput: limit }),
    },
    inputGroup,
  };
}
