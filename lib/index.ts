// `typegraph-native`: the portable surface.
export * from "./core.js";
export * from "./errors.js";
export { ExportStreamCancelledError, ExportStreamIdleTimeoutError, TrustedImportError, type TrustedImportErrorReason } from "./interchange-errors.js";
export { Predicate, FieldAccessor } from "./predicates.js";
export * from "./query/index.js";
export {
  Store,
  NodeCollection,
  EdgeCollection,
  createStore,
  createStoreWithSchema,
  KindRegistry,
  type Node,
  type Edge,
  type NodeMeta,
  type EdgeMeta,
  type NodeRef,
  type BulkNodeItem,
  type BulkEdgeItem,
  type TransactionContext,
  type SchemaValidationResult,
  type SchemaDiff,
  type SchemaChange,
  type TemporalOptions,
  type GraphNodeCollections,
  type GraphEdgeCollections,
} from "./store.js";
export {
  StoreView,
  type StoreViewCoordinate,
  type StoreViewNodeCollection,
  type StoreViewNodeCollections,
  type StoreViewEdgeCollection,
  type StoreViewEdgeCollections,
  type TypedStoreViewEdgeCollection,
  type StoreViewGraphAlgorithms,
  type StoreViewSubgraphOptions,
  type StoreViewReachableOptions,
  type StoreViewShortestPathOptions,
  type StoreViewWeightedShortestPathOptions,
  type StoreViewCanReachOptions,
  type StoreViewNeighborsOptions,
  type StoreViewDegreeOptions,
  type StoreViewWeaklyConnectedComponentsOptions,
  type StoreViewLabelPropagationOptions,
  type StoreViewPageRankOptions,
  type StoreViewPersonalizedPageRankOptions,
  type NodeTemporalReads,
  type NodeCurrentReads,
  type NodeWrites,
  type EdgeTemporalReads,
  type EdgeBatchReads,
  type EdgeWrites,
} from "./store-view.js";
export {
  RecordedStoreView,
  asRecordedInstant,
  recordedInstantRevision,
  recordedInstantWallTime,
  compareRecordedInstants,
  isRecordedCaptureGuardError,
  RECORDED_CAPTURE_GUARD_CODES,
  type RecordedInstant,
  type RecordedCaptureGuardCode,
  type RecordedCaptureGuardError,
  type RecordedScanOptions,
  type RecordedScanPage,
  type RecordedStoreViewNodeCollection,
  type RecordedStoreViewNodeCollections,
  type RecordedStoreViewEdgeCollection,
  type RecordedStoreViewEdgeCollections,
} from "./recorded.js";
export {
  createSqlSchema,
  DEFAULT_SQL_SCHEMA,
  recordedRelation,
  SqlSchema,
  type SqlTableNames,
  type RecordedRelationOptions,
  type ExternalRecordedReadSource,
} from "./sql-schema.js";
export type {
  TransactionReceipt,
  TransactionOutcome,
  ScopedMeasure,
  MeasurableTransactionContext,
  IdentityWriteSummary,
} from "./receipt.js";
export {
  StoreSearch,
  type FulltextQueryMode,
  type VectorMetric,
  type SearchScopeOptions,
  type FulltextSearchOptions,
  type VectorSearchOptions,
  type HybridSearchOptions,
  type HybridVectorOptions,
  type HybridFulltextOptions,
  type HybridFusionOptions,
  type FulltextSearchHit,
  type VectorSearchHit,
  type HybridSearchHit,
  type RebuildFulltextOptions,
  type RebuildFulltextResult,
} from "./search.js";
export {
  SYSTEM_INDEX_DECLARATIONS,
  andWhere,
  defineEdgeIndex,
  defineNodeIndex,
  notWhere,
  orWhere,
  type EdgeIndexConfig,
  type EdgeIndexDeclaration,
  type EdgeIndexDirection,
  type EdgeIndexWhereBuilder,
  type IndexDeclaration,
  type IndexOrigin,
  type IndexScope,
  type IndexWhereExpression,
  type IndexWhereFieldBuilder,
  type IndexWhereInput,
  type NodeIndexConfig,
  type NodeIndexDeclaration,
  type NodeIndexWhereBuilder,
  type SystemIndexDeclaration,
  type SystemIndexTable,
} from "./indexes.js";
export type { MaterializeIndexesEntry, MaterializeIndexesOptions, MaterializeIndexesResult } from "./store.js";
export type { NodeBulkFindByIndexOptions } from "./find-by-index.js";
export type {
  BulkEdgeSourceGroup,
  BulkFindEdgesFromParams,
  BulkFindEdgesFromResult,
  EdgeBulkFindEndpointOptions,
  EdgeBulkFindOptions,
  GraphEdgeForKinds,
  GraphNodeReference,
} from "./edge-sets.js";
export type { MaterializeSystemIndexesOptions } from "./system-indexes.js";
export type { BatchableQuery, BatchResults } from "./batch.js";
export {
  subClassOf,
  broader,
  narrower,
  relatedTo,
  equivalentTo,
  sameAs,
  differentFrom,
  disjointWith,
  partOf,
  hasPart,
  inverseOf,
  implies,
  metaEdge,
  isMetaEdge,
  core,
  computeTransitiveClosure,
  invertClosure,
  isReachable,
  type MetaEdge,
  type MetaEdgeName,
  type MetaEdgeOptions,
  type MetaEdgeProperties,
  type InferenceType,
} from "./ontology.js";
export { computeSchemaHash, serializeSchema, type SerializedSchema } from "./schema.js";
export {
  asIdentityAssertionId,
  rebuildIdentityClosure,
  type GraphIdentityConfig,
  type IdentityAssertion,
  type IdentityAssertionId,
  type IdentityAssertionResult,
  type IdentityAssertionWriteFacade,
  type IdentityFacade,
  type IdentityLedgerRow,
  type IdentityNode,
  type IdentityNodeReference,
  type IdentityNodeRefInput,
  type IdentityPair,
  type IdentityReadFacade,
  type IdentityRelation,
  type IdentityValidityWindow,
} from "./identity.js";
export {
  EagerMaterializationError,
  type StoreRef,
  type EvolveOptions,
  type RemoveKindsOptions,
  type MaterializeRemovalsOptions,
  type MaterializeRemovalsEntry,
  type MaterializeRemovalsResult,
} from "./store-evolve.js";
export type { SchemaIntrospection, KindIntrospection, EdgeIntrospection, OntologyIntrospection, UniqueIntrospection } from "./evolve.js";
export { getActiveSchema, getCommittedSchemaVersion, isSchemaInitialized } from "./schema-entry.js";
export type {
  GraphBackend,
  BackendCapabilities,
  VectorCapabilities,
  FulltextCapabilities,
  FilteredApproximateSearch,
  FilteredApproximateSearchMode,
  VectorSearchFrontierTuning,
  DeleteFulltextParams,
  TransactionOptions,
} from "./backend.js";
export type { StoreHooks, HookContext, QueryHookContext, OperationHookContext, BulkOperationHookContext } from "./hooks.js";
export {
  defineGraphExtension,
  validateGraphExtension,
  CURRENT_GRAPH_EXTENSION_VERSION,
  LEGACY_GRAPH_EXTENSION_VERSION,
  type GraphExtension,
  type GraphExtensionVersion,
} from "./extension/index.js";

export type {
  NodeKinds,
  EdgeKinds,
  GetNodeType,
  GetEdgeType,
  AllNodeTypes,
  AllEdgeTypes,
  AnyEdgeType,
  EdgeTypeWithEndpoints,
  NodeProps,
  EdgeProps,
  DefineNodeOptions,
  DefineEdgeOptions,
  KindEntity,
  IndexEntity,
  NullCheckOp,
  EndpointExistence,
} from "./type-helpers.js";
export type {
  IfExistsMode,
  GetOrCreateAction,
  NodeGetOrCreateByConstraintOptions,
  NodeGetOrCreateByConstraintResult,
  EdgeFindByEndpointsOptions,
  EdgeGetOrCreateByEndpointsOptions,
  EdgeGetOrCreateByEndpointsResult,
  DynamicNodeCollection,
  DynamicEdgeCollection,
  TypedEdgeCollection,
  AnyNode,
  AnyEdge,
  QueryOptions,
  InitialQueryBuilder,
} from "./collection-types.js";
export type { StoreOptions } from "./store.js";
export {
  StoreNotInitializedError,
  type StoreNotInitializedReason,
  type StoreNotInitializedErrorDetails,
} from "./store-not-initialized.js";
export type {
  NodeNotFoundErrorDetails,
  EdgeNotFoundErrorDetails,
  KindNotFoundErrorDetails,
  EndpointErrorDetails,
  EndpointNotFoundErrorDetails,
  RestrictedDeleteErrorDetails,
  UniquenessErrorDetails,
  CardinalityErrorDetails,
  DisjointErrorDetails,
  NodeConstraintNotFoundErrorDetails,
  ValidationErrorDetails,
} from "./error-details.js";
export {
  jsonPointer,
  parseJsonPointer,
  normalizeJsonPointer,
  joinJsonPointers,
  type JsonPointer,
  type JsonPointerSegment,
  type JsonPointerSegments,
  type JsonPointerFor,
  type JsonPointerSegmentsFor,
  type JsonPointerInput,
  type ResolveJsonPointer,
  type ResolveJsonPointerSegments,
} from "./json-pointer.js";

export { nanoidLikeId as generateId };
import { randomBytes } from "node:crypto";
const ALPHABET = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict";
function nanoidLikeId(): string {
  const bytes = randomBytes(21);
  let id = "";
  for (const b of bytes) id += ALPHABET[b & 63];
  return id;
}
export { createVerifiedStore, createAdapterStore, createAdapterStoreWithSchema, createVerifiedAdapterStore } from "./verified-store.js";
export type { ReconciledSchema } from "./store.js";

export {
  type GraphAlgorithms,
  type TraversalDirection,
  type AlgorithmCyclePolicy,
  type TemporalAlgorithmOptions,
  type BaseTraversalOptions,
  type ReachableNode,
  type PathNode,
  type ShortestPathResult,
  type ShortestPathOptions,
  type WeightedShortestPathOptions,
  type WeightedShortestPathResult,
  type ReachableOptions,
  type NeighborsOptions,
  type DegreeOptions,
  type WeaklyConnectedComponentsOptions,
  type WeaklyConnectedComponentMembership,
  type LabelPropagationOptions,
  type LabelPropagationMembership,
  type PageRankOptions,
  type PersonalizedPageRankSeed,
  type PersonalizedPageRankOptions,
  type PageRankScore,
  type NodeIdentifier,
} from "./algorithms.js";
export {
  defineSubgraphProject,
  type SubgraphProject,
  type SubgraphOptions,
  type SubgraphResult,
  type SubgraphNodeResult,
  type SubgraphEdgeResult,
  type SubsetNode,
  type SubsetEdge,
} from "./subgraph.js";
export { resolveGraphVectorSlots } from "./contributions.js";
export type {
  ContributionCapabilities,
  ContributionDiagnostic,
  ContributionDiagnosticState,
  ContributionMaterializationRow,
  ContributionProbeContribution,
  ContributionProbeEntry,
  ContributionProbeResult,
  ContributionProbeState,
  ContributionRebuildRefusal,
  ContributionRebuildResult,
  ContributionRebuildScope,
  ContributionRepairEntry,
  ContributionRepairResult,
  ContributionRepopulationStats,
  FulltextStrategy,
  RebuildContributionOptions,
  StrategyTableContribution,
  VectorSlot,
  VectorStrategy,
} from "./contributions.js";
