// Our own versions of the timestamp helpers upstream's suites import.
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export function isCanonicalIsoDate(value: string): boolean {
  if (!CANONICAL.test(value)) return false;
  const d = new Date(value);
  return !Number.isNaN(d.getTime()) && d.toISOString() === value;
}
export function canonicalizeDatabaseTimestamp(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (typeof value !== "string") return undefined;
  // SQLite text timestamps and PostgreSQL's "YYYY-MM-DD HH:MM:SS.sss+00" both parse once normalised.
  const normalised = value.includes("T") ? value : value.replace(" ", "T").replace(/([+-]\d{2})$/, "$1:00");
  const ms = Date.parse(normalised);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
