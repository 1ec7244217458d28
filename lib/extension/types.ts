// The graph-extension document: a JSON value describing node and edge kinds,
// unique constraints, relational indexes and ontology relations that a live
// graph takes on at runtime. Everything here is plain data (no functions), so
// a document round-trips through the stored schema unchanged.

export type ExtensionSearchableModifier = Readonly<{ language?: string }>;
export type ExtensionEmbeddingModifier = Readonly<{ dimensions: number }>;

/** Modifiers every property descriptor may carry. */
export type ExtensionPropertyModifiers = Readonly<{
  optional?: boolean;
  searchable?: ExtensionSearchableModifier;
  embedding?: ExtensionEmbeddingModifier;
  description?: string;
}>;

export type ExtensionStringFormat = "datetime" | "uri" | "email" | "uuid" | "date";

export type ExtensionStringProperty = Readonly<{
  type: "string";
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: ExtensionStringFormat;
}> &
  ExtensionPropertyModifiers;

export type ExtensionNumberProperty = Readonly<{ type: "number"; min?: number; max?: number; int?: boolean }> &
  ExtensionPropertyModifiers;

export type ExtensionBooleanProperty = Readonly<{ type: "boolean" }> & ExtensionPropertyModifiers;

export type ExtensionEnumProperty = Readonly<{ type: "enum"; values: readonly string[] }> & ExtensionPropertyModifiers;

export type ExtensionArrayItemType =
  | ExtensionStringProperty
  | ExtensionNumberProperty
  | ExtensionBooleanProperty
  | ExtensionEnumProperty
  | ExtensionObjectProperty;

export type ExtensionArrayProperty = Readonly<{ type: "array"; items: ExtensionArrayItemType }> & ExtensionPropertyModifiers;

export type ExtensionObjectFieldProperty =
  | ExtensionStringProperty
  | ExtensionNumberProperty
  | ExtensionBooleanProperty
  | ExtensionEnumProperty
  | ExtensionArrayProperty;

export type ExtensionObjectProperty = Readonly<{
  type: "object";
  properties: Readonly<Record<string, ExtensionObjectFieldProperty>>;
}> &
  ExtensionPropertyModifiers;

export type ExtensionPropertyType =
  | ExtensionStringProperty
  | ExtensionNumberProperty
  | ExtensionBooleanProperty
  | ExtensionEnumProperty
  | ExtensionArrayProperty
  | ExtensionObjectProperty;

export type NullCheckOp = "isNull" | "isNotNull";

export type ExtensionUniqueWhere = Readonly<{ field: string; op: NullCheckOp }>;

export type ExtensionUniqueConstraint = Readonly<{
  name: string;
  fields: readonly string[];
  scope?: "kind" | "kindWithSubClasses";
  collation?: "binary" | "caseInsensitive";
  where?: ExtensionUniqueWhere;
}>;

export type JsonAnnotation = string | number | boolean | null | JsonAnnotation[] | { [key: string]: JsonAnnotation };

export type ExtensionNodeDef = Readonly<{
  description?: string;
  annotations?: Readonly<Record<string, JsonAnnotation>>;
  properties: Readonly<Record<string, ExtensionPropertyType>>;
  unique?: readonly ExtensionUniqueConstraint[];
}>;

export type ExtensionEdgeDef = Readonly<{
  description?: string;
  annotations?: Readonly<Record<string, JsonAnnotation>>;
  from: readonly string[];
  to: readonly string[];
  properties?: Readonly<Record<string, ExtensionPropertyType>>;
}>;

export type ExtensionIndexWhere = Readonly<{ field: string; op: NullCheckOp }>;

export type ExtensionNodeIndex = Readonly<{
  entity: "node";
  kind: string;
  name?: string;
  fields: readonly string[];
  coveringFields?: readonly string[];
  unique?: boolean;
  scope?: "graphAndKind" | "graph" | "none";
  where?: ExtensionIndexWhere;
}>;

export type ExtensionEdgeIndex = Readonly<{
  entity: "edge";
  kind: string;
  name?: string;
  direction?: "out" | "in" | "none";
  fields: readonly string[];
  coveringFields?: readonly string[];
  unique?: boolean;
  scope?: "graphAndKind" | "graph" | "none";
  where?: ExtensionIndexWhere;
}>;

export type ExtensionIndex = ExtensionNodeIndex | ExtensionEdgeIndex;

export const META_EDGE_NAMES = [
  "subClassOf",
  "broader",
  "narrower",
  "relatedTo",
  "equivalentTo",
  "sameAs",
  "differentFrom",
  "disjointWith",
  "partOf",
  "hasPart",
  "inverseOf",
  "implies",
] as const;
export type MetaEdgeName = (typeof META_EDGE_NAMES)[number];

export type ExtensionOntologyRelation = Readonly<{ metaEdge: MetaEdgeName; from: string; to: string }>;

/** Pinned forever to 1: a stored document without `version` is a v1 document. */
export const LEGACY_GRAPH_EXTENSION_VERSION = 1 as const;
/** The newest document format this library reads and writes. */
export const CURRENT_GRAPH_EXTENSION_VERSION = 1 as const;
export type GraphExtensionVersion = number;

export type GraphExtension = Readonly<{
  version?: GraphExtensionVersion;
  nodes?: Readonly<Record<string, ExtensionNodeDef>>;
  edges?: Readonly<Record<string, ExtensionEdgeDef>>;
  ontology?: readonly ExtensionOntologyRelation[];
  indexes?: readonly ExtensionIndex[];
}>;

export const GRAPH_EXTENSION_TOP_LEVEL_KEYS = ["version", "nodes", "edges", "ontology", "indexes"] as const;
export type GraphExtensionTopLevelKey = (typeof GRAPH_EXTENSION_TOP_LEVEL_KEYS)[number];
