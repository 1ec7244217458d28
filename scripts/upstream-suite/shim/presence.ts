// Our own version of the tiny assertion helper upstream's suites import.
export function requireDefined<T>(value: T | undefined | null, message?: string): T {
  if (value === undefined || value === null) throw new Error(message ?? "expected a defined value");
  return value;
}
