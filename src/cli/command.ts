import type { CommonOptions, Io } from '../options.js';

// What a command is, said in its own file (src/cli/<name>.ts): its flags,
// its help, how it checks and reads its flags, and how it runs. The file
// loads nothing of the command's body (that comes in through `run`), so
// `--help` and flag errors never load the pipeline or the AWS SDK. src/cli.ts
// only dispatches: it reads argv against the common flags and the command's
// own, and turns a flag of another command into an error that names it.

export interface Flag {
  type: 'string' | 'boolean';
  short?: string;
  /** Given more than once (run's --env KEY=VALUE): read as a list. */
  multiple?: boolean;
  /** Only with this subcommand: "set" for secrets set's --no-deploy. */
  sub?: string;
  /** How an error names where the flag belongs, when not "<command> [sub]". */
  of?: string;
}

export type Flags = Record<string, Flag>;
/** Parsed flag values by flag name ("delete-data"). */
export type Values = Readonly<Record<string, string | boolean | string[] | undefined>>;

export interface Command {
  name: string;
  /** Its lines in the overview that `deploy-wizard --help` prints. */
  overview: string;
  /** Its page for `deploy-wizard NAME --help`, above the common flags. */
  help: string;
  flags?: Flags;
  /** Problems with its flags' values and arguments, each naming the flag; any stops the run with exit 2 before anything is read or made. */
  check?(v: Values, rest: readonly string[]): string[];
  /** What it takes from its own flags into the options. */
  options?(v: Values, rest: readonly string[]): Partial<CommonOptions>;
  run(opts: CommonOptions, io: Io, rest: string[]): Promise<number>;
  /**
   * Runs a command of the user's after `--` (run, exec, db sql): `rest` keeps a "--" where it was, so what comes
   * before it (a service) is told from the command.
   */
  passThrough?: boolean;
  /**
   * Handles its own Ctrl-C (run stops its task, or asks whether to): the first one only aborts the signal, with no
   * exit on a timer; a second one still quits at once.
   */
  ownsInterrupt?: boolean;
  /** Its own spellings of flags another command already uses: db's -f is --file (logs' -f is --follow). */
  aliases?: Record<string, string>;
}

/** The flags every command takes (src/cli.ts reads them into CommonOptions). */
export const COMMON_FLAGS = {
  // Multiple, for run's --env KEY=VALUE (src/cli.ts tells the two apart: an environment name has no "=").
  env: { type: 'string', multiple: true },
  config: { type: 'string' },
  'non-interactive': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  json: { type: 'boolean' },
  region: { type: 'string' },
  profile: { type: 'string' },
  verbose: { type: 'boolean' },
  'state-backend': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const satisfies Flags;

export const COMMON_HELP = `Common flags:
  --env NAME          environment (default prod); environments.NAME in the config overrides the base
  --config PATH       config file (default ./deploy-wizard.json)
  --non-interactive   never prompt; read everything from the config, flags and env vars
  -y, --yes           skip the confirmation
  --json              one JSON event per line on stdout, nothing else
  --region REGION     AWS region (default: the config's region)
  --profile NAME      AWS profile from ~/.aws/config
  --verbose           print every build line and AWS call
  --state-backend local|s3  where this run keeps its state (default: the
                      config's "state"; DEPLOY_WIZARD_STATE=s3://bucket/prefix also sets it)
  -h, --help          this help
  -v, --version       the version

Exit codes: 0 done; 1 a step failed (run again to resume); 2 bad input;
3 state locked or belongs to another account/region; 130 interrupted.`;

export const str = (v: Values, k: string): string | undefined => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
export const list = (v: Values, k: string): string[] => (Array.isArray(v[k]) ? (v[k] as string[]) : typeof v[k] === 'string' ? [v[k] as string] : []);
export const bool = (v: Values, k: string): boolean | undefined => (typeof v[k] === 'boolean' ? (v[k] as boolean) : undefined);

/** deploy's and plan's: database changes that can wait (class, storage, version, Multi-AZ) go out now, not in the maintenance window. */
export const APPLY_IMMEDIATELY: Flags = { 'apply-immediately': { type: 'boolean', of: 'deploy and plan' } };
/** deploy's and plan's: this run does not migrate (migrations.when "skip" for one run). */
export const SKIP_MIGRATIONS: Flags = { 'skip-migrations': { type: 'boolean', of: 'deploy and plan' } };
export const SKIP_MIGRATIONS_HELP = `  --skip-migrations    do not run the migrations this time; the next deploy that
                       does runs them for the revision it skipped`;
export const APPLY_IMMEDIATELY_HELP = `  --apply-immediately  database changes that can wait for the maintenance window
                       (database.applyImmediately false) go out now`;
