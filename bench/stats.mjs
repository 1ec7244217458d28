export function summarize(samplesNs) {
  const s = [...samplesNs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, medianUs: at(0.5) / 1000, p95Us: at(0.95) / 1000 };
}
export const now = () => process.hrtime.bigint();
export const ns = (t0) => Number(process.hrtime.bigint() - t0);
