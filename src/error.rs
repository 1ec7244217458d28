//! Engine errors → JS errors. The message carries the machine-readable payload
//! (`{code, message, details, cause}`) that `lib/errors.ts` turns back into the
//! exact TypeGraph error class; users never parse it.

pub const PAYLOAD_MARK: &str = "__typegraph__";

pub fn to_napi(e: typegraph_core::Error) -> napi::Error {
    napi::Error::new(
        napi::Status::GenericFailure,
        format!("{PAYLOAD_MARK}{}", e.to_payload()),
    )
}

pub fn disposed() -> napi::Error {
    to_napi(typegraph_core::Error::disposed())
}
