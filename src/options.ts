import type { Writable } from 'node:stream';
import type { CallHook } from './aws/clients.js';

/** The common flags, parsed by src/cli.ts. */
export interface CommonOptions {
  env: string;
  configPath: string;
  nonInteractive: boolean;
  yes: boolean;
  json: boolean;
  region?: string;
  profile?: string;
  verbose: boolean;
}

/** Everything from the outside world a command uses, so commands run in-process in tests. */
export interface Io {
  cwd: string;
  /** Where `secrets set` reads a value when there is no terminal. */
  stdin: NodeJS.ReadableStream;
  stdout: Writable;
  stderr: Writable;
  /** Both stdin and stdout are terminals: prompts and the animated renderer are allowed. */
  isTTY: boolean;
  /** The process environment, read only through here. */
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  /** Sees every AWS call (tests record them; --verbose prints them). */
  onCall?: CallHook;
  /** The command line, for the lock file. */
  argv: readonly string[];
}
