import { standinLogs } from './cli.js';

/** Fails with everything needed to see why: the exit code, both streams and the stand-ins' own logs. */
export function expectOk(r: { code: number | null; stderr: string; stdout: string }): void {
  if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.stderr}\n${r.stdout}\n${standinLogs()}`);
}
