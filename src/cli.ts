#!/usr/bin/env node
// The only file that reads argv and the environment, and the one place that
// catches errors and picks the exit code. It holds no command's flags or
// help: each command says its own in src/cli/<name>.ts.
import { parseArgs } from 'node:util';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, InputError, InterruptedError, WizardError, exitCodeOf } from './errors.js';
import type { CommonOptions, Io } from './options.js';
import { releaseHeldLocksSync } from './state/lock.js';
import { regionProblem } from './config/regions.js';
import { isMutating } from './aws/mutating.js';
import { ownVersion } from './version.js';
import { COMMON_FLAGS, COMMON_HELP, type Command, type Flags, type Values } from './cli/command.js';
import { deploy } from './cli/deploy.js';
import { init } from './cli/init.js';
import { plan } from './cli/plan.js';
import { status } from './cli/status.js';
import { logs } from './cli/logs.js';
import { rollback } from './cli/rollback.js';
import { destroy } from './cli/destroy.js';
import { secrets } from './cli/secrets.js';
import { state } from './cli/state.js';
import { ci } from './cli/ci.js';
import { unlock } from './cli/unlock.js';
import { run } from './cli/run.js';
import { exec } from './cli/exec.js';
import { db } from './cli/db.js';
import { preview } from './cli/preview.js';

// The SDK warns every run that a future release will need Node 22. That is
// for us to act on (package.json pins the SDK), not noise for every user.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The commands, in the order the overview lists them; `deploy` runs when none is named. */
const COMMANDS: readonly Command[] = [deploy, init, plan, status, logs, run, exec, db, preview, rollback, destroy, secrets, state, ci, unlock];

const OVERVIEW = `Usage: deploy-wizard [command] [flags]

Commands:
${COMMANDS.map((c) => c.overview).join('\n')}

Run deploy-wizard COMMAND --help for details.

${COMMON_HELP}`;

/** Every flag any command takes, for parsing; which command may use which is checked after. */
const ALL_FLAGS: Flags = Object.assign({}, COMMON_FLAGS, ...COMMANDS.map((c) => c.flags ?? {}));

/** Where a flag belongs, as an error says it: "logs", "secrets set", "init (and of deploy's first run)". */
function ownerOf(flag: string): string {
  for (const c of COMMANDS) {
    const f = c.flags?.[flag];
    if (f) return f.of ?? (f.sub ? `${c.name} ${f.sub}` : c.name);
  }
  return 'another command';
}

function parse(given: string[]) {
  // The command's own spellings first, for flags of its that another command's short flag would take.
  const own = COMMANDS.find((c) => given.includes(c.name));
  const argv = own?.aliases ? given.map((a, i) => (i > given.indexOf(own.name) && own.aliases![a]) || a) : given;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: ALL_FLAGS });
  } catch (e) {
    const own = COMMANDS.find((c) => c.passThrough && c.name === argv.find((a) => !a.startsWith('-')));
    throw new InputError(`read flags: ${(e as Error).message}`, [], {
      hint: own
        ? `Put -- before your command, so its flags stay its own: deploy-wizard ${own.name} ${own.name === 'db' ? 'sql' : 'SERVICE'} -- COMMAND ARGS...`
        : 'Run deploy-wizard --help for the flags.',
    });
  }
  const [first, ...positionals] = parsed.positionals;
  const named = first === undefined ? undefined : COMMANDS.find((c) => c.name === first);
  // What follows `--` is the user's own command line, kept apart from what precedes it.
  const dd = argv.indexOf('--');
  const after = dd >= 0 ? argv.length - dd - 1 : 0;
  const rest =
    named?.passThrough && dd >= 0 ? [...positionals.slice(0, positionals.length - after), '--', ...positionals.slice(positionals.length - after)] : positionals;
  const values = { ...(parsed.values as Record<string, unknown>) };
  // --env is the environment's name everywhere, and for `run` also KEY=VALUE (a variable of the task): a name has no "=".
  const envFlags = (values.env as string[] | undefined) ?? [];
  const envNames = [...new Set(envFlags.filter((e) => !e.includes('=')))];
  const envVars = envFlags.filter((e) => e.includes('='));
  values.env = envNames[0];
  if (envVars.length) values['run-env'] = envVars;
  const v = values as Values;
  const command = first === undefined || first === 'help' ? deploy : named;
  if (!command) {
    throw new InputError(`read command: unknown command "${first}"`, [], {
      hint: `Commands: ${[...COMMANDS.map((c) => c.name), 'help'].join(', ')}. Run deploy-wizard --help.`,
    });
  }
  const env = (v.env as string | undefined) ?? 'prod';
  const problems: string[] = [];
  if (!/^[a-z](?:[a-z0-9]|-(?!-)){0,30}[a-z0-9]$/.test(env)) problems.push(`--env ${env}: use lowercase letters, digits and single hyphens`);
  const region = v.region as string | undefined;
  if (region !== undefined && regionProblem(region)) problems.push(`--region: ${regionProblem(region)}`);
  if (envNames.length > 1) problems.push(`--env ${envNames.join(', ')}: name one environment`);
  if (envVars.length && command.name !== 'run')
    problems.push(`--env ${envVars[0]}: KEY=VALUE sets a variable of a run task (deploy-wizard run); here --env names the environment`);
  for (const k of Object.keys(v)) {
    if (k in COMMON_FLAGS || k === 'run-env') continue;
    const own = command.flags?.[k];
    if (!own || (own.sub !== undefined && rest[0] !== own.sub)) problems.push(`--${k}: a flag of ${ownerOf(k)}, not of ${command.name}`);
  }
  const stateBackend = v['state-backend'];
  if (stateBackend !== undefined && stateBackend !== 'local' && stateBackend !== 's3')
    problems.push(`--state-backend ${String(stateBackend)}: use local or s3`);
  if (!problems.length) problems.push(...(command.check?.(v, rest) ?? []));
  if (problems.length)
    throw new InputError(
      'read flags: invalid values',
      problems,
      command.passThrough ? { hint: `Put -- before your command, so its flags stay its own: deploy-wizard ${command.name} ... -- COMMAND ARGS...` } : {},
    );
  const opts: CommonOptions = {
    env,
    configPath: configFile((v.config as string | undefined) ?? 'deploy-wizard.json'),
    nonInteractive: !!v['non-interactive'],
    yes: !!v.yes,
    json: !!v.json,
    region,
    profile: (v.profile as string | undefined) ?? process.env.AWS_PROFILE,
    verbose: !!v.verbose,
    ...(stateBackend === 'local' || stateBackend === 's3' ? { stateBackend } : {}),
    ...command.options?.(v, rest),
  };
  // Bare --help shows the overview; `deploy --help` the deploy page.
  const help = first === 'help' || (!!v.help && first === undefined) ? OVERVIEW : v.help ? `${command.help}\n\n${COMMON_HELP}` : undefined;
  return { command, opts, rest, help, version: !!v.version };
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
  if (help !== undefined) {
    process.stdout.write(help + '\n');
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
    if (command.ownsInterrupt) return controller.abort(new InterruptedError());
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
    return await command.run(opts, io, rest);
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
