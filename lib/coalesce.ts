// `coalesceUnchangedUpserts`: the dirty check an upsert runs against the live row it would
// update. A write is skipped only when the validated props equal the stored ones (compared as
// canonical JSON, so key order and Date-vs-ISO-text do not matter) and every bound the caller
// stated is the one the row already holds. A bound that does not read as a canonical instant is
// never judged here: the write path reports it, with the option on or off alike.

import { IMMUTABLE_VALIDITY_LOWER_BOUND_CODE, ValidationError } from "./errors.js";

/** Stable JSON of a props value: object keys sorted, Dates as ISO text, undefined fields dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** Whether validated props equal the stored props. */
export function sameProps(validated: unknown, stored: unknown): boolean {
  return canonicalJson(validated ?? {}) === canonicalJson(stored ?? {});
}

function canonicalText(v: string | Date): string | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  const iso = new Date(t).toISOString();
  return iso === v ? iso : undefined;
}

function sameInstant(stated: string | Date, stored: string | null | undefined): boolean {
  const s = canonicalText(stated);
  if (s === undefined || stored === null || stored === undefined) return false;
  const t = Date.parse(stored);
  return !Number.isNaN(t) && new Date(t).toISOString() === s;
}

/** Whether the stated window options leave the stored window as it is. */
export function windowHeld(
  options: { validFrom?: string | Date; validTo?: string | Date; clearValidTo?: boolean },
  storedFrom: string | null | undefined,
  storedTo: string | null | undefined,
): boolean {
  if (options.validFrom !== undefined && !sameInstant(options.validFrom, storedFrom)) return false;
  if (options.clearValidTo) return (storedTo ?? null) === null && options.validTo === undefined;
  if (options.validTo !== undefined && !sameInstant(options.validTo, storedTo)) return false;
  return true;
}

/**
 * A live row's lower bound cannot be moved by an update: a stated `validFrom` must be the one
 * the row holds (same instant), else the write is refused rather than applied without it.
 */
export function assertLowerBoundHeld(
  entity: "node" | "edge",
  kind: string,
  id: string,
  stated: string | Date | undefined,
  stored: string | null | undefined,
): void {
  if (stated === undefined) return;
  const text = stated instanceof Date ? stated.toISOString() : stated;
  const t = Date.parse(text);
  if (Number.isNaN(t)) return; // an unreadable instant is the write path's to report
  if (stored !== null && stored !== undefined && Date.parse(stored) === t) return;
  const held = stored === null || stored === undefined ? "the row has no lower bound" : `the row holds "${stored}"`;
  const message = `Unappliable validFrom for ${entity} ${kind}/${id}: stated "${text}", but ${held} and the row is live.`;
  throw new ValidationError(
    message,
    {
      entityType: entity,
      kind,
      id,
      operation: "update",
      issues: [{ path: "validFrom", message, code: IMMUTABLE_VALIDITY_LOWER_BOUND_CODE }],
    },
    { suggestion: "Omit validFrom when updating a live row, or state the bound it already holds; only a create or a resurrection sets it." },
  );
}
