// The index declarations a graph extension contributes to the merged graph: its relational
// `indexes` (as defineNodeIndex/defineEdgeIndex would declare them) and the vector indexes
// derived from its `embedding` properties, all marked `origin: "runtime"`, so materializeIndexes,
// the stored document and restarts see them like compile-time ones.
import type { EdgeRegistration, NodeRegistration } from "./core.js";
import { ConfigurationError } from "./errors.js";
import type { GraphExtension } from "./extension/types.js";
import { defineEdgeIndex, defineNodeIndex, deriveVectorIndexes, type IndexDeclaration } from "./indexes.js";

type WhereField = { isNull(): unknown; isNotNull(): unknown };

export function mergedIndexes(
  baseIndexes: readonly IndexDeclaration[] | undefined,
  nodes: Record<string, NodeRegistration>,
  edges: Record<string, EdgeRegistration>,
  ext: GraphExtension,
): readonly IndexDeclaration[] | undefined {
  const compileTime = (baseIndexes ?? []).filter((d) => d.origin !== "runtime");
  const runtime: IndexDeclaration[] = [];
  for (const i of ext.indexes ?? []) {
    const where = i.where ? (w: Record<string, WhereField>) => (i.where!.op === "isNull" ? w[i.where!.field]!.isNull() : w[i.where!.field]!.isNotNull()) : undefined;
    const common = {
      fields: [...i.fields],
      ...(i.coveringFields ? { coveringFields: [...i.coveringFields] } : {}),
      ...(i.unique === undefined ? {} : { unique: i.unique }),
      ...(i.name === undefined ? {} : { name: i.name }),
      ...(i.scope === undefined ? {} : { scope: i.scope }),
      ...(where ? { where: where as never } : {}),
    };
    const d =
      i.entity === "node"
        ? defineNodeIndex(nodes[i.kind]!.type, common as never)
        : defineEdgeIndex(edges[i.kind]!.type, { ...common, ...(i.direction ? { direction: i.direction } : {}) } as never);
    runtime.push(Object.freeze({ ...d, origin: "runtime" as const }));
  }
  const extNodes: Record<string, NodeRegistration> = {};
  for (const kind of Object.keys(ext.nodes ?? {})) if (nodes[kind]) extNodes[kind] = nodes[kind]!;
  for (const v of deriveVectorIndexes(extNodes)) runtime.push(Object.freeze({ ...v, origin: "runtime" as const }));
  const names = new Set(compileTime.map((d) => d.name));
  for (const d of runtime) {
    if (names.has(d.name)) {
      throw new ConfigurationError(`Graph-extension index "${d.name}" reuses the name of another index of the graph; index names are unique across the merged graph.`, {
        indexName: d.name,
        kind: d.kind,
      });
    }
    names.add(d.name);
  }
  const all = [...compileTime, ...runtime];
  return all.length === 0 && baseIndexes === undefined ? undefined : Object.freeze(all);
}
