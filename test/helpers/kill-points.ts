/** The mutating calls to kill after: every one with FAULTS=all (npm run test:faults), otherwise `sample` spread over the run. */
export function killPoints(total: number, sample: number): number[] {
  if (process.env.FAULTS === 'all') return Array.from({ length: total }, (_, i) => i + 1);
  const n = Math.min(total, sample);
  return [...new Set(Array.from({ length: n }, (_, i) => 1 + Math.round((i * (total - 1)) / Math.max(1, n - 1))))];
}
