#!/usr/bin/env node
// The only file that reads argv and the environment, and the one place that
// catches errors and picks the exit code.
import { parseArgs } from 'node:util';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, InputError, InterruptedError, WizardError, exitCodeOf } from './errors.js';
import type { CommonOptions, Io } from './options.js';
import { releaseHeldLocksSync } from './state/lock.js';
import { regionProblem } from './config/regions.js';
import { isMutating } from './aws/mutating.js';
import { ownVersion } from './version.js';

// The SDK warns every run that a future release will need Node 22. That is
// for us to act on (package.json pins the SDK), not noise for every user.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const COMMANDS = ['deploy', 'init', 'plan', 'status', 'logs', 'rollback', 'destroy', 'secrets', 'state', 'ci', 'unlock', 'help'] as const;
type Command = (typeof COMMANDS)[number];

const COMMON_HELP = `Common flags:
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

const HELP: Record<Command, string> = {
  deploy: `Usage: deploy-wizard [deploy] [flags]

Provisions everything deploy-wizard.json describes and deploys the app.
On a terminal it asks for what is missing (writing the config on first run),
shows the plan and the monthly cost, and asks before changing anything.
If a step fails, run the same command again: it resumes there.

${COMMON_HELP}`,
  init: `Usage: deploy-wizard init [flags]

Writes deploy-wizard.json from what the repo says (Procfile or
docker-compose.yml services, Dockerfiles, the framework's port and health
path, the data stores and keys in .env.example), asking on a terminal to
confirm each answer; changes nothing on AWS. With --non-interactive it asks
nothing and writes the repo's answers and the flags below.

Answers as flags:
  --app NAME             app name
  --dockerfile PATH      the Dockerfile of a single service
  --port N               the port the web service listens on
  --health-path PATH     its health check path
  --single               one web service even when the repo lists several processes
  --with LIST            database,cache,buckets,cognito (or none)
  --buckets LIST         bucket names;  --bucket-prefix PREFIX  their prefix
  --generate LIST        secret keys to generate once
  --ask LIST             secret keys to ask for at deploy (CI: env vars)
  --optional LIST        keys to ask for that may stay empty
  --skip LIST            keys from .env.example to leave out
  --domain NAME          serve the app at NAME over HTTPS;  --zone ZONE  its Route 53
                         zone (default: NAME without its first label)
  --site DIR             a built static frontend to serve from the CDN;  --spa  it
                         routes on the client (unknown paths answer index.html)

${COMMON_HELP}`,
  status: `Usage: deploy-wizard status [flags]

Read-only: the last deploy's time and outcome, each step's status, and live
per service: running, pending and desired tasks, the rollout, the task
definition revision (and the one the last deploy set, when they differ), the
image tag and target health; each schedule's next run. --json prints one
document. Exit 0 when everything is healthy, 1 with the reasons when not.

${COMMON_HELP}`,
  logs: `Usage: deploy-wizard logs [SERVICE...] [flags]

The log lines of the services' tasks (all services by default), interleaved
by time and prefixed with the service name. Secret values show as ****.

  --since WHEN     15m, 2h, 1d, or a time such as 2026-11-20T10:00 (UTC); default 10m
  --follow, -f     keep printing new lines until Ctrl-C
  --filter PATTERN a CloudWatch Logs filter pattern, e.g. ERROR or "timed out"
  --task NAME      migrations: the last migration task's lines; a schedule's
                   name: the lines of its runs
  --no-redact      print lines even when the app secret cannot be read to redact
                   them (without it, logs refuses and says why)

${COMMON_HELP}`,
  rollback: `Usage: deploy-wizard rollback [SERVICE] [--to REVISION] [flags]

Puts a service (every service when none is named) back on its previous task
definition revision, or on the one --to names, then waits like a deploy: the
rollout (with the circuit breaker) and the first-boot checks. The config
still says the newer revision: status shows the difference, and the next
deploy rolls forward (saying so first).

  --to REVISION   a revision number of the service's task definition family

${COMMON_HELP}`,
  destroy: `Usage: deploy-wizard destroy [flags]

Removes what deploy-wizard created for this app and env, in reverse order,
and only resources carrying its tags. Shows what goes and what stays first,
then asks you to type the app name (--yes skips that, except for the prod
env, which also needs --force). By default the data stays: the database (a
final snapshot is taken, deletion protection stays on), buckets holding
objects, the secrets and the user pool. It ends with what was kept and what
it still costs. Killed or failed? Run it again: it resumes.

  --delete-data          remove the data too (the database after a final snapshot)
  --skip-final-snapshot  with --delete-data: no final snapshot
  --force                destroy prod with --yes, without typing the name

${COMMON_HELP}`,
  plan: `Usage: deploy-wizard plan [flags]

Read-only: what each step would create, change or leave as it is, and the
estimated monthly cost. Makes no changes.

${COMMON_HELP}`,
  secrets: `Usage: deploy-wizard secrets set KEY | deploy-wizard secrets list [flags]

set KEY   store a value for KEY in the app secret: a masked prompt on a
          terminal, otherwise read from stdin (printf %s "$V" | ... set KEY);
          then deploy, which rolls every service that reads KEY so its
          tasks get the new value
          --no-deploy  only store it: the next deploy rolls those services
list      every key: where it comes from (generated, asked, derived) and
          when it last changed. Never prints values.
rotate origin-verify
          a new value for the header CloudFront sends the load balancer (a site
          in front of web services): the routes accept old and new while the
          CDN moves to the new one, then the new one alone (two deploys)

${COMMON_HELP}`,
  state: `Usage: deploy-wizard state init | push | pull [flags]

Shared state in S3, for a team and CI: every checkout reads and writes one
object per app and env, with conditional writes and a leased lock.

init   creates (or checks) the state bucket: versioning, encryption, Block
       Public Access, earlier versions kept 90 days; prints the config lines
       --bucket NAME   default deploy-wizard-state-ACCOUNT-REGION
       --prefix P      a key prefix such as ledger/
push   moves this env's local state into S3 (refused when the S3 state is
       newer); the local file is kept, renamed
pull   writes a copy of the S3 state for reading
       --out PATH      default .deploy-wizard/ENV.state.pulled.json

${COMMON_HELP}`,
  ci: `Usage: deploy-wizard ci github [--repo OWNER/NAME] [--branch main] [flags]

Deploys from GitHub Actions with no stored AWS keys: creates (or adopts)
the account's OIDC provider for GitHub, a role <app>-<env>-deploy that only
that repository's branch (or --github-env) may assume, allowed exactly what a
deploy of this app calls, and writes .github/workflows/deploy-wizard.yml.
The state must be in S3 first (deploy-wizard state init, then state push).

  --repo OWNER/NAME   default: the origin remote of this checkout
  --branch NAME       the branch whose pushes deploy (default main)
  --github-env NAME   trust the GitHub environment NAME instead of the branch
  --owner-id N, --repo-id N
                      GitHub's numeric ids of the owner and the repository, for the
                      subject format repositories made since 2026-07-15 send
                      (repo:OWNER@ID/NAME@ID:...); read from GitHub's API by default,
                      with GITHUB_TOKEN or gh auth token for a private repository

The role's permissions are managed policies <app>-<env>-deploy-N; every role
it may make or change must carry the permissions boundary <app>-<env>-boundary,
which this command writes and the deploy role can never change.

${COMMON_HELP}`,
  unlock: `Usage: deploy-wizard unlock ID [flags]

Breaks the state lock with this ID, left by a run that is gone. The ID is
in the "locked" error message.

${COMMON_HELP}`,
  help: '',
};
HELP.help = `Usage: deploy-wizard [command] [flags]

Commands:
  deploy          (default) provision, push, deploy; resumes a failed run
  init            only the questions: writes deploy-wizard.json
  plan            read-only: what would change, and the cost
  status          read-only: the last deploy and every service live; exit 1 when degraded
  logs [SERVICE]  the services' log lines, interleaved and prefixed; --follow to tail
  rollback [SERVICE]  back to the previous task definition revision (--to N)
  destroy         remove the app's resources; keeps the data unless --delete-data
  secrets set KEY store one asked value and roll the services that read it
  secrets list    key names, sources and when each last changed
  state init|push|pull  shared state in S3 for a team and CI
  ci github       deploy on push from GitHub Actions (OIDC, no stored keys)
  unlock ID       break a stale lock

Run deploy-wizard COMMAND --help for details.

${COMMON_HELP}`;

function parse(argv: string[]) {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(argv);
  } catch (e) {
    throw new InputError(`read flags: ${(e as Error).message}`, [], { hint: 'Run deploy-wizard --help for the flags.' });
  }
  return afterParse(parsed);
}

function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      env: { type: 'string', default: 'prod' },
      config: { type: 'string', default: 'deploy-wizard.json' },
      'non-interactive': { type: 'boolean', default: false },
      yes: { type: 'boolean', short: 'y', default: false },
      json: { type: 'boolean', default: false },
      region: { type: 'string' },
      profile: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'no-deploy': { type: 'boolean', default: false },
      since: { type: 'string' },
      follow: { type: 'boolean', short: 'f' },
      'no-redact': { type: 'boolean' },
      filter: { type: 'string' },
      task: { type: 'string' },
      to: { type: 'string' },
      'delete-data': { type: 'boolean' },
      'skip-final-snapshot': { type: 'boolean' },
      force: { type: 'boolean' },
      'state-backend': { type: 'string' },
      bucket: { type: 'string' },
      prefix: { type: 'string' },
      out: { type: 'string' },
      repo: { type: 'string' },
      branch: { type: 'string' },
      'github-env': { type: 'string' },
      'owner-id': { type: 'string' },
      'repo-id': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'v', default: false },
      ...INIT_FLAGS,
    },
  });
}

// init's answers as flags; any other command refuses them.
const INIT_FLAGS = {
  app: { type: 'string' },
  dockerfile: { type: 'string' },
  port: { type: 'string' },
  'health-path': { type: 'string' },
  with: { type: 'string' },
  buckets: { type: 'string' },
  'bucket-prefix': { type: 'string' },
  generate: { type: 'string' },
  ask: { type: 'string' },
  optional: { type: 'string' },
  skip: { type: 'string' },
  single: { type: 'boolean' },
  domain: { type: 'string' },
  zone: { type: 'string' },
  site: { type: 'string' },
  spa: { type: 'boolean' },
} as const;

function afterParse(parsed: ReturnType<typeof parseFlags>) {
  const [first, ...rest] = parsed.positionals;
  const command = (first ?? 'deploy') as Command;
  if (!COMMANDS.includes(command)) {
    throw new InputError(`read command: unknown command "${first}"`, [], { hint: `Commands: ${COMMANDS.join(', ')}. Run deploy-wizard --help.` });
  }
  const v = parsed.values;
  const problems: string[] = [];
  if (!/^[a-z](?:[a-z0-9]|-(?!-)){0,30}[a-z0-9]$/.test(v.env!)) problems.push(`--env ${v.env}: use lowercase letters, digits and single hyphens`);
  if (v.region !== undefined && regionProblem(v.region)) problems.push(`--region: ${regionProblem(v.region)}`);
  const initGiven = Object.keys(INIT_FLAGS).filter((k) => v[k as keyof typeof v] !== undefined);
  // `deploy-wizard --app x` on a repo without a config runs init first, so deploy accepts them too.
  if (command !== 'init' && command !== 'deploy')
    for (const k of initGiven) problems.push(`--${k}: a flag of init (and of deploy's first run), not of ${command}`);
  if (v['no-deploy'] && !(command === 'secrets' && rest[0] === 'set')) problems.push(`--no-deploy: a flag of secrets set, not of ${command}`);
  if (command !== 'logs')
    for (const k of ['since', 'follow', 'filter', 'task', 'no-redact'] as const)
      if (v[k] !== undefined) problems.push(`--${k}: a flag of logs, not of ${command}`);
  if (command !== 'destroy')
    for (const k of ['delete-data', 'skip-final-snapshot', 'force'] as const)
      if (v[k] !== undefined) problems.push(`--${k}: a flag of destroy, not of ${command}`);
  if (command !== 'rollback' && v.to !== undefined) problems.push(`--to: a flag of rollback, not of ${command}`);
  const sub = rest[0];
  for (const [k, where] of [
    ['bucket', 'state init'],
    ['prefix', 'state init'],
    ['out', 'state pull'],
  ] as const)
    if (v[k] !== undefined && `${command} ${sub}` !== where) problems.push(`--${k}: a flag of ${where}, not of ${command}`);
  if (command !== 'ci')
    for (const k of ['repo', 'branch', 'github-env', 'owner-id', 'repo-id'] as const)
      if (v[k] !== undefined) problems.push(`--${k}: a flag of ci github, not of ${command}`);
  for (const k of ['owner-id', 'repo-id'] as const)
    if (v[k] !== undefined && !/^[1-9]\d{0,18}$/.test(v[k]))
      problems.push(`--${k} ${v[k]}: GitHub's numeric id, as the API's owner.id and id of the repository`);
  if ((v['owner-id'] === undefined) !== (v['repo-id'] === undefined))
    problems.push(`--${v['owner-id'] === undefined ? 'owner-id' : 'repo-id'}: needed with --${v['owner-id'] === undefined ? 'repo-id' : 'owner-id'}`);
  if (v.repo !== undefined && !/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(v.repo))
    problems.push(`--repo ${v.repo}: expected OWNER/NAME, as in github.com/OWNER/NAME`);
  if (v.branch !== undefined && !/^[A-Za-z0-9._/-]+$/.test(v.branch)) problems.push(`--branch ${v.branch}: not a branch name`);
  if (v['github-env'] !== undefined && !/^[A-Za-z0-9._ -]{1,255}$/.test(v['github-env']))
    problems.push(`--github-env ${v['github-env']}: not a GitHub environment name`);
  const stateBackend = v['state-backend'];
  if (stateBackend !== undefined && stateBackend !== 'local' && stateBackend !== 's3') problems.push(`--state-backend ${stateBackend}: use local or s3`);
  if (problems.length) throw new InputError('read flags: invalid values', problems);
  const opts: CommonOptions = {
    env: v.env!,
    configPath: configFile(v.config!),
    nonInteractive: v['non-interactive']!,
    yes: v.yes!,
    json: v.json!,
    region: v.region,
    profile: v.profile ?? process.env.AWS_PROFILE,
    verbose: v.verbose!,
    noDeploy: v['no-deploy']!,
    ...(stateBackend === 'local' || stateBackend === 's3' ? { stateBackend } : {}),
    ...(command === 'state' ? { state: { bucket: v.bucket, prefix: v.prefix, out: v.out } } : {}),
    ...(command === 'ci'
      ? {
          ci: {
            repo: v.repo,
            branch: v.branch,
            githubEnv: v['github-env'],
            ...(v['owner-id'] && v['repo-id'] ? { ownerId: Number(v['owner-id']), repoId: Number(v['repo-id']) } : {}),
          },
        }
      : {}),
    ...(command === 'rollback' ? { rollback: { to: v.to } } : {}),
    ...(command === 'destroy' ? { destroy: { deleteData: !!v['delete-data'], skipFinalSnapshot: !!v['skip-final-snapshot'], force: !!v.force } } : {}),
    ...(command === 'logs' ? { logs: { since: v.since, follow: !!v.follow, filter: v.filter, task: v.task, noRedact: !!v['no-redact'] } } : {}),
    ...(initGiven.length
      ? {
          init: {
            app: v.app,
            dockerfile: v.dockerfile,
            port: v.port,
            healthPath: v['health-path'],
            with: v.with,
            buckets: v.buckets,
            bucketPrefix: v['bucket-prefix'],
            generate: v.generate,
            ask: v.ask,
            optional: v.optional,
            skip: v.skip,
            single: v.single,
            domain: v.domain,
            zone: v.zone,
            site: v.site,
            spa: v.spa,
          },
        }
      : {}),
  };
  // Bare --help shows the overview; `deploy --help` the deploy page.
  return { command: first ? command : help0(v.help!), opts, rest, help: v.help!, version: v.version! };
}

/** --config may name the app's directory: the config is deploy-wizard.json inside it. */
function configFile(path: string): string {
  try {
    if (statSync(path).isDirectory()) return join(path, 'deploy-wizard.json');
  } catch {
    /* not there: reported where it is read, with its exit code */
  }
  return path;
}

const help0 = (help: boolean): Command => (help ? 'help' : 'deploy');

function report(err: unknown, json: boolean): void {
  const e = err instanceof WizardError ? err : new WizardError(`unexpected error: ${(err as Error)?.stack ?? String(err)}`);
  const lines = [`error: ${e.message}`];
  if (e instanceof InputError) for (const p of e.problems) lines.push(`  - ${p}`);
  if (e.hint) lines.push('', e.hint);
  process.stderr.write(lines.join('\n') + '\n');
  if (json) {
    process.stdout.write(
      JSON.stringify({ step: 'deploy', status: 'failed', message: e.message, exitCode: exitCodeOf(e), timestamp: new Date().toISOString() }) + '\n',
    );
  }
}

/**
 * --verbose prints every AWS call. DEPLOY_WIZARD_FAULT_KILL_AFTER_CALL=N is
 * fault injection for the crash tests: the process kills itself with SIGKILL
 * the moment its Nth mutating AWS call has returned, the worst moment there is
 * (AWS has changed, the state file has not). N may also be a call name such
 * as ACM:RequestCertificate: steps run concurrently, so a call's position
 * varies from run to run while its name does not.
 */
function callHook(opts: CommonOptions): Io['onCall'] {
  const spec = process.env.DEPLOY_WIZARD_FAULT_KILL_AFTER_CALL ?? '';
  const killAfter = /^\d+$/.test(spec) ? Number(spec) : 0;
  const killName = killAfter ? '' : spec;
  let mutating = 0;
  if (!opts.verbose && !killAfter && !killName) return undefined;
  return (c) => {
    if (opts.verbose && !opts.json) process.stderr.write(`aws ${c.service} ${c.command}${c.ok ? '' : ' (failed)'}\n`);
    if (killAfter && c.ok && isMutating(c.command) && ++mutating === killAfter) process.kill(process.pid, 'SIGKILL');
    if (killName && c.ok && `${c.service}:${c.command}` === killName) process.kill(process.pid, 'SIGKILL');
  };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    report(e, false);
    return exitCodeOf(e);
  }
  const { command, opts, rest, help } = parsed;
  if (parsed.version) {
    process.stdout.write(ownVersion() + '\n');
    return EXIT.ok;
  }
  if (help || command === 'help') {
    process.stdout.write(HELP[command] + '\n');
    return EXIT.ok;
  }

  // Stack traces name the source files and lines in the published bundle too (its maps ship beside it); only
  // code loaded from here on is mapped, which is every command's.
  if (opts.verbose) process.setSourceMapsEnabled(true);
  const controller = new AbortController();
  let interrupts = 0;
  const forceExit = () => {
    // The lock must not outlive us, even on the fast path out.
    releaseHeldLocksSync();
    process.exit(EXIT.interrupted);
  };
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) forceExit();
    if (!opts.json) process.stderr.write('\nStopping: nothing new starts; saving state. Press Ctrl-C again to quit at once.\n');
    controller.abort(new InterruptedError());
    // Every call in flight takes the abort signal, so the orderly path ends in milliseconds; this is the backstop.
    setTimeout(forceExit, 1_500).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const io: Io = {
    cwd: process.cwd(),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: !!process.stdin.isTTY && !!process.stdout.isTTY,
    env: process.env,
    signal: controller.signal,
    argv,
    onCall: callHook(opts),
  };
  try {
    switch (command) {
      case 'init':
        return await (await import('./commands/init.js')).initCommand(opts, io);
      case 'plan':
        return await (await import('./commands/plan.js')).planCommand(opts, io);
      case 'status':
        return await (await import('./commands/status.js')).statusCommand(opts, io);
      case 'logs':
        return await (await import('./commands/logs.js')).logsCommand(opts, io, rest);
      case 'rollback':
        return await (await import('./commands/rollback.js')).rollbackCommand(opts, io, rest);
      case 'destroy':
        return await (await import('./commands/destroy.js')).destroyCommand(opts, io);
      case 'secrets':
        return await (await import('./commands/secrets.js')).secretsCommand(opts, io, rest);
      case 'state':
        return await (await import('./commands/state.js')).stateCommand(opts, io, rest);
      case 'ci':
        return await (await import('./commands/ci.js')).ciCommand(opts, io, rest);
      case 'unlock':
        return await (await import('./commands/unlock.js')).unlockCommand(opts, io, rest[0]);
      default:
        return await (await import('./commands/deploy.js')).deployCommand(opts, io);
    }
  } catch (e) {
    const err = controller.signal.aborted && !(e instanceof WizardError) ? new InterruptedError() : e;
    report(err, opts.json);
    return exitCodeOf(err);
  }
}

void main().then((code) => {
  // Docker and AWS keep-alive sockets would hold the process open; flush and go.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
});
