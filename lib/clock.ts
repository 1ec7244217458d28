// The clock the engine stamps writes with (created/updated instants, default lower bounds, the
// recorded clock's wall time). The engine reads the system clock; when JavaScript's `Date` tells
// another time (a test that pins or fakes the date), the engine is pinned to `Date.now()` so that
// what it stamps agrees with the clock the application reads. Checked before each engine call:
// two clock reads, and a native call only when the verdict changes.
import { setAppClock } from "./native.js";

/** How far `Date.now()` may stray from the system clock before the engine follows it. */
const TOLERANCE_MS = 1000;

let pinned: number | undefined;

/** Pins (or unpins) the engine's write clock to `Date.now()` when that is not the system time. */
export function followAppClock(): void {
  const app = Date.now();
  const system = performance.timeOrigin + performance.now();
  const next = Math.abs(app - system) > TOLERANCE_MS ? app : undefined;
  if (next !== pinned) {
    pinned = next;
    setAppClock(next ?? null);
  }
}
