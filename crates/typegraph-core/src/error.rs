//! Engine errors. Every error carries one of TypeGraph's public error codes; the
//! binding sends `code` + `details` across and the TypeScript layer rebuilds the
//! matching error class in one place (`lib/errors.ts`).

use serde_json::{json, Value as Json};
use std::fmt;

/// The public codes the TypeScript layer knows how to rebuild.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Validation,
    NodeNotFound,
    EdgeNotFound,
    KindNotFound,
    Endpoint,
    EndpointNotFound,
    RestrictedDelete,
    Uniqueness,
    Cardinality,
    Disjoint,
    Configuration,
    DatabaseOperation,
    BackendDisposed,
    TransactionClosed,
    ConstraintNotFound,
    Migration,
    StaleVersion,
    SchemaContentConflict,
    UnsupportedPredicate,
    CompilerInvariant,
    UnsupportedBackendCapability,
    /// A numeric argument outside its range: a JavaScript `RangeError` (no TypeGraph class).
    Range,
    /// A weighted traversal met an edge weight it cannot use.
    InvalidEdgeWeight,
    /// An iterative graph algorithm ran out of rounds (or oscillates).
    GraphAlgorithmConvergence,
    /// An identity write would make the ledger contradictory.
    IdentityContradiction,
    IdentityValidityFutureStart,
    IdentityValidityFutureEnd,
    IdentityValidityInverted,
    IdentityValidityOpenWindowConflict,
    /// An identity endpoint does not cover the assertion window.
    IdentityEndpointValidity,
    /// The separation relation refused a class fusion.
    IdentitySeparationViolation,
    /// A search side table the graph was initialized with is gone.
    ContributionUnavailable,
    /// `rebuildContribution()` refused (details carry the `reason`).
    ContributionRebuildUnsupported,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Validation => "VALIDATION_ERROR",
            Code::NodeNotFound => "NODE_NOT_FOUND",
            Code::EdgeNotFound => "EDGE_NOT_FOUND",
            Code::KindNotFound => "KIND_NOT_FOUND",
            Code::Endpoint => "ENDPOINT_ERROR",
            Code::EndpointNotFound => "ENDPOINT_NOT_FOUND",
            Code::RestrictedDelete => "RESTRICTED_DELETE",
            Code::Uniqueness => "UNIQUENESS_VIOLATION",
            Code::Cardinality => "CARDINALITY_ERROR",
            Code::Disjoint => "DISJOINT_ERROR",
            Code::Configuration => "CONFIGURATION_ERROR",
            Code::DatabaseOperation => "DATABASE_OPERATION_ERROR",
            Code::BackendDisposed => "BACKEND_DISPOSED",
            Code::TransactionClosed => "TRANSACTION_CLOSED",
            Code::ConstraintNotFound => "CONSTRAINT_NOT_FOUND",
            Code::Migration => "MIGRATION_ERROR",
            Code::StaleVersion => "STALE_SCHEMA_VERSION",
            Code::SchemaContentConflict => "SCHEMA_CONTENT_CONFLICT",
            Code::UnsupportedPredicate => "UNSUPPORTED_PREDICATE",
            Code::CompilerInvariant => "COMPILER_INVARIANT_ERROR",
            Code::UnsupportedBackendCapability => "UNSUPPORTED_BACKEND_CAPABILITY",
            Code::Range => "RANGE_ERROR",
            Code::InvalidEdgeWeight => "INVALID_EDGE_WEIGHT",
            Code::GraphAlgorithmConvergence => "GRAPH_ALGORITHM_CONVERGENCE_ERROR",
            Code::IdentityContradiction => "IDENTITY_CONTRADICTION",
            Code::IdentityValidityFutureStart => "IDENTITY_VALIDITY_FUTURE_START",
            Code::IdentityValidityFutureEnd => "IDENTITY_VALIDITY_FUTURE_END",
            Code::IdentityValidityInverted => "IDENTITY_VALIDITY_INVERTED",
            Code::IdentityValidityOpenWindowConflict => "IDENTITY_VALIDITY_OPEN_WINDOW_CONFLICT",
            Code::IdentityEndpointValidity => "IDENTITY_ENDPOINT_VALIDITY",
            Code::IdentitySeparationViolation => "IDENTITY_SEPARATION_VIOLATION",
            Code::ContributionUnavailable => "CONTRIBUTION_UNAVAILABLE",
            Code::ContributionRebuildUnsupported => "CONTRIBUTION_REBUILD_UNSUPPORTED",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Error {
    pub code: Code,
    pub message: String,
    pub details: Json,
    /// Message of the underlying driver error, kept as the `cause`.
    pub cause: Option<String>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(code: Code, message: impl Into<String>, details: Json) -> Self {
        Error {
            code,
            message: message.into(),
            details,
            cause: None,
        }
    }

    pub fn validation(message: impl Into<String>, details: Json) -> Self {
        Error::new(Code::Validation, message, details)
    }

    pub fn config(message: impl Into<String>, detail_code: &str) -> Self {
        Error::new(Code::Configuration, message, json!({ "code": detail_code }))
    }

    pub fn invariant(message: impl Into<String>) -> Self {
        Error::new(Code::CompilerInvariant, message, json!({}))
    }

    pub fn disposed() -> Self {
        Error::new(
            Code::BackendDisposed,
            "Cannot use backend after it has been closed",
            json!({}),
        )
    }

    pub fn database(operation: &str, cause: String) -> Self {
        Error {
            code: Code::DatabaseOperation,
            message: format!("Database operation failed: {operation}"),
            details: json!({ "operation": operation }),
            cause: Some(cause),
        }
    }

    /// The JSON payload the binding hands to TypeScript.
    pub fn to_payload(&self) -> String {
        json!({
            "code": self.code.as_str(),
            "message": self.message,
            "details": self.details,
            "cause": self.cause,
        })
        .to_string()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)?;
        if let Some(c) = &self.cause {
            write!(f, " (cause: {c})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::database("sqlite", e.to_string())
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::database("postgres", e.to_string())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::new(Code::Validation, format!("Malformed input: {e}"), json!({}))
    }
}
