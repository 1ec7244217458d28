// The parts of the stored schema document (`SerializedSchema`) under upstream's type names.
// The document is written in upstream's byte format (see `__test__/schema-parity.test.ts`);
// these types name its sections. Keys whose value is `undefined` are dropped when the
// document is stored, so those fields read back as absent.
import type { Cardinality, Collation, DeleteBehavior, KindAnnotations, UniquenessScope } from "./core.js";
import type { InferenceType } from "./ontology.js";
import type { EndpointExistence } from "./type-helpers.js";

/** A JSON Schema object as `z.toJSONSchema` emits it for a kind's props. */
export type JsonSchema = Readonly<{
  $schema?: string;
  type?: string | readonly string[];
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  enum?: readonly unknown[];
  const?: unknown;
  anyOf?: readonly JsonSchema[];
  oneOf?: readonly JsonSchema[];
  allOf?: readonly JsonSchema[];
  not?: JsonSchema;
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  [keyword: string]: unknown;
}>;

/**
 * One unique constraint of a node kind (`where` is the JSON text of its null check). `scope` and
 * `collation` are written as declared: a registration that leaves them out (they default to
 * `"kind"` / `"binary"`) stores them absent.
 */
export type SerializedUniqueConstraint = Readonly<{
  name: string;
  fields: readonly string[];
  where?: string;
  scope?: UniquenessScope;
  collation?: Collation;
}>;

/** `document.nodes[kind]` */
export type SerializedNodeDef = Readonly<{
  kind: string;
  properties: JsonSchema;
  uniqueConstraints: readonly SerializedUniqueConstraint[];
  onDelete: DeleteBehavior;
  description: string | undefined;
  annotations?: KindAnnotations;
}>;

/** `document.edges[kind]` (`endpointExistence` is always `"notDeleted"` here). */
export type SerializedEdgeDef = Readonly<{
  kind: string;
  fromKinds: readonly string[];
  toKinds: readonly string[];
  properties: JsonSchema;
  cardinality: Cardinality;
  endpointExistence: EndpointExistence;
  description: string | undefined;
  annotations?: KindAnnotations;
}>;

/** `document.ontology.metaEdges[name]` */
export type SerializedMetaEdge = Readonly<{
  name: string;
  transitive: boolean;
  symmetric: boolean;
  reflexive: boolean;
  inverse: string | undefined;
  inference: InferenceType;
  description: string | undefined;
}>;

/** One entry of `document.ontology.relations`: kind names (or external IRIs). */
export type SerializedOntologyRelation = Readonly<{ metaEdge: string; from: string; to: string }>;

/** `document.ontology.closures`: the precomputed ontology closures, keyed by kind (or edge) name. */
export type SerializedClosures = Readonly<{
  subClassAncestors: Record<string, readonly string[]>;
  subClassDescendants: Record<string, readonly string[]>;
  broaderClosure: Record<string, readonly string[]>;
  narrowerClosure: Record<string, readonly string[]>;
  equivalenceSets: Record<string, readonly string[]>;
  disjointPairs: readonly string[];
  partOfClosure: Record<string, readonly string[]>;
  hasPartClosure: Record<string, readonly string[]>;
  iriToKind: Record<string, string>;
  edgeInverses: Record<string, string>;
  edgeImplicationsClosure: Record<string, readonly string[]>;
  edgeImplyingClosure: Record<string, readonly string[]>;
}>;

/** `document.ontology` */
export type SerializedOntology = Readonly<{
  metaEdges: Record<string, SerializedMetaEdge>;
  relations: readonly SerializedOntologyRelation[];
  closures: SerializedClosures;
}>;
