import { standinLogs } from './cli.js';

/** Fails with everything needed to see why: the exit code, both streams and the stand-ins' own logs. */
export function expectOk(r: { code: number | null; stderr: string; stdout: string }): void {
  if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.stderr}\n${r.stdout}\n${standinLogs()}`);
}

/** The same for an in-process deploy (recordedDeploy): the error it ended with, and its hint. */
export function expectDeployed(r: { code: number; error?: Error; stderr: string }): void {
  if (r.code !== 0)
    throw new Error(`exit ${r.code}: ${r.error?.message ?? ''}\n${(r.error as { hint?: string } | undefined)?.hint ?? ''}\n${r.stderr}\n${standinLogs()}`);
}
