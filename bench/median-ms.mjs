import { spawnSync } from 'node:child_process';

/** The median wall time, in ms, of running node with these arguments n times (startup figures). */
export function medianMs(args, n = 9) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    spawnSync(process.execPath, args, { stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)];
}
