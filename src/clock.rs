//! `lib/clock.ts`: the application clock the engine stamps writes with when JavaScript's
//! `Date` is not the system clock.

use napi_derive::napi;

/// Pins the engine's write instant to `ms` (milliseconds since the epoch); `None` (or a value
/// that is not a finite millisecond count) returns it to the system clock.
#[napi]
pub fn set_app_clock(ms: Option<f64>) {
    let pinned = ms
        .filter(|v| v.is_finite() && v.fract() == 0.0)
        .map(|v| v as i64);
    typegraph_core::util::set_app_clock(pinned);
}
