import { deployCommand } from '../../src/commands/deploy.js';
import { exitCodeOf } from '../../src/errors.js';
import type { Io } from '../../src/options.js';
import { MUTATING } from './step-context.js';
import { assertEvents } from './events.js';

/**
 * Runs `deploy --non-interactive --json` in-process, recording every AWS call
 * with its input (emulators do not echo everything back). A thrown error
 * becomes its exit code, as src/cli.ts does.
 */
export async function recordedDeploy(
  dir: string,
  env: Record<string, string | undefined> = {},
  opts: { yes?: boolean } = {},
  /** Sees each call as it returns, before the run goes on (a test acts at a chosen call). */
  onCall?: (name: string) => void,
) {
  const calls: { name: string; input: any }[] = [];
  let stdout = '';
  let stderr = '';
  let error: Error | undefined;
  const io: Io = {
    cwd: dir,
    stdin: process.stdin,
    stdout: { write: (s: string) => ((stdout += s), true) } as any,
    stderr: { write: (s: string) => ((stderr += s), true) } as any,
    isTTY: false,
    env: { ...process.env, ...env },
    signal: new AbortController().signal,
    argv: ['deploy', ...(opts.yes ? ['--yes'] : [])],
    onCall: (c) => {
      calls.push({ name: `${c.service}:${c.command}`, input: c.input });
      onCall?.(`${c.service}:${c.command}`);
    },
  };
  const code = await deployCommand(
    { env: 'prod', configPath: 'deploy-wizard.json', nonInteractive: true, yes: opts.yes ?? false, json: true, verbose: false },
    io,
  ).catch((e: Error) => {
    error = e;
    return exitCodeOf(e);
  });
  assertEvents(stdout);
  const events = stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  return { code, calls, events, names: calls.map((c) => c.name), stderr, error };
}

/** The mutating calls among "Service:Command" names. */
export const mutatingCalls = (names: string[]) => names.filter((n) => MUTATING.test(n.split(':')[1]!));
