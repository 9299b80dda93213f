import type { Writable } from 'node:stream';
import type { CallHook } from './aws/clients.js';

/** init's own flags: each answers one of its questions (comma-separated lists). */
export interface InitFlags {
  app?: string;
  dockerfile?: string;
  port?: string;
  healthPath?: string;
  /** database,cache,buckets,cognito, or none */
  with?: string;
  buckets?: string;
  bucketPrefix?: string;
  generate?: string;
  ask?: string;
  optional?: string;
  skip?: string;
  /** One web service, even when a Procfile or docker-compose.yml lists several processes. */
  single?: boolean;
  /** domain.name; the zone defaults to the name without its first label. */
  domain?: string;
  zone?: string;
  /** site.dir, and whether it is a single-page app. */
  site?: string;
  spa?: boolean;
}

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
  /** --state-backend: this run's state on this disk or in S3, over the config's `state`. */
  stateBackend?: 'local' | 's3';
  /** deploy, plan: database changes that can wait go out now (database.applyImmediately for this run). */
  applyImmediately?: boolean;
  /** deploy, plan: do not run the migrations this time. */
  skipMigrations?: boolean;
  /** deploy: run the images another env runs (copied by digest) instead of building. */
  imagesFrom?: string;
  /** secrets set: store the value only; the next deploy rolls the services that read it. */
  noDeploy?: boolean;
  /** logs: from when, tail, a filter pattern, a one-off task. */
  logs?: { since?: string; follow: boolean; filter?: string; task?: string; noRedact?: boolean };
  init?: InitFlags;
  /** rollback: the revision to go to (a string as typed; checked by the command). */
  rollback?: { to?: string };
  destroy?: { deleteData: boolean; skipFinalSnapshot: boolean; force: boolean };
  /** state init: the bucket and key prefix; state pull: where to write the copy. */
  state?: { bucket?: string; prefix?: string; out?: string };
  /** ci github: the repository, the branch that deploys, and the GitHub environment the role may be assumed from instead. */
  /** db sql: the SQL (or the file it is in) and the role it runs as. */
  /** preview: whether --env was given (it must then name previews.from), and up's and prune's flags. */
  preview?: { envGiven: boolean; dataFrom?: string; schemaOnly?: boolean; olderThan?: string; noKeep?: boolean };
  db?: { command?: string; file?: string; as: 'app' | 'master'; clean?: boolean; append?: boolean; from?: string };
  /** run: the task size, plain variables, whether to wait, and when to stop it. */
  run?: { cpu?: number; memory?: number; env: Record<string, string>; detach: boolean; timeoutMs?: number };
  ci?: { repo?: string; branch?: string; githubEnv?: string; ownerId?: number; repoId?: number; list?: boolean; promoteFrom?: string; previews?: boolean };
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
