import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { assertEvents } from './events.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'dist/src/cli.js');
// Copies of the shared example configs: a clone of this repository has nothing beside it.
export const EXAMPLES = join(ROOT, 'fixtures/examples');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function standinEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { ...process.env, SAMPLE_APP_VERSION: '1.0.0', ...inject('standins').env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...extra };
}

/** Runs the built CLI against the stand-ins. */
export function runCli(
  args: string[],
  opts: {
    cwd: string;
    env?: Record<string, string | undefined>;
    onStdout?: (chunk: string, child: ChildProcess) => void;
    onStderr?: (chunk: string, child: ChildProcess) => void;
    /** Another build of the CLI: the published bundle, installed from the packed tarball. */
    cli?: string;
    /** What the CLI reads on stdin (closed at once otherwise). */
    input?: string;
  },
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [opts.cli ?? CLI, ...args], {
      cwd: opts.cwd,
      env: standinEnv(opts.env),
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => {
      stdout += d;
      opts.onStdout?.(String(d), child);
    });
    child.stderr!.on('data', (d) => {
      stderr += d;
      opts.onStderr?.(String(d), child);
    });
    child.on('close', (code, signal) => {
      // Every --json line must be an event of the published schema (a killed run may end mid-line).
      if (args.includes('--json') && !signal) {
        try {
          assertEvents(stdout);
        } catch (e) {
          return reject(e);
        }
      }
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

/** A copy of a fixture app (the sample app by default) with a unique app name and bucket prefix, so tests share the stand-ins safely. */
export function makeApp(edit: (config: any) => void = () => {}, fixture = 'sample-app'): { dir: string; app: string; config: any } {
  const dir = mkdtempSync(join(tmpdir(), 'dw-app-'));
  // The demo leaves its own state in the fixture; a test app starts clean.
  cpSync(join(ROOT, 'fixtures', fixture), dir, { recursive: true, filter: (src) => !src.includes('/.deploy-wizard') });
  const app = `t${randomBytes(3).toString('hex')}`;
  const config = JSON.parse(readFileSync(join(dir, 'deploy-wizard.json'), 'utf8'));
  config.app = app;
  edit(config);
  config.app = app;
  if (config.buckets) config.buckets.prefix = `${app}-`;
  writeFileSync(join(dir, 'deploy-wizard.json'), JSON.stringify(config, null, 2));
  return { dir, app, config };
}

export function readState(dir: string, env = 'prod'): any {
  const p = join(dir, '.deploy-wizard', `${env}.state.json`);
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : undefined;
}

/** The stand-ins' own logs, for a failing test's message. */
export function standinLogs(): string {
  const { logs } = inject('standins');
  return Object.entries(logs)
    .map(([name, path]) => `--- ${name} (${path})\n${existsSync(path) ? readFileSync(path, 'utf8').slice(-2000) : ''}`)
    .join('\n');
}

/** A shared example config, built from the sample app's image, with a unique app name and bucket prefix. */
export function makeExampleApp(
  example: string,
  edit: (config: any) => void = () => {},
): { dir: string; app: string; config: any; secrets: Record<string, string> } {
  const made = makeApp((c) => {
    const ex = JSON.parse(readFileSync(join(EXAMPLES, `${example}.json`), 'utf8'));
    for (const k of Object.keys(c)) delete c[k];
    Object.assign(c, ex); // makeApp then gives it a unique app name and bucket prefix
    // Every image is the sample app's: the stand-ins have no Next.js or FastAPI to build.
    if (c.images) for (const name of Object.keys(c.images)) c.images[name] = { context: '.', dockerfile: 'Dockerfile', platform: 'linux/amd64' };
    else c.image = { context: '.', dockerfile: 'Dockerfile', platform: 'linux/amd64' };
    edit(c);
  });
  // A value for every required asked key, as CI would pass them in the environment.
  const secrets = Object.fromEntries(
    Object.entries(made.config.secrets ?? {})
      .filter(([, spec]: [string, any]) => spec.prompt && !spec.optional)
      .map(([k]) => [k, `test-${k.toLowerCase()}-${randomBytes(6).toString('hex')}`]),
  );
  return { ...made, secrets };
}

/** Runs the CLI and SIGKILLs it the moment `marker` appears on `stream`: a crash at a chosen point. */
export function runCliKilledAt(
  args: string[],
  opts: { cwd: string; env?: Record<string, string | undefined>; stream: 'stdout' | 'stderr'; marker: string },
): Promise<CliResult> {
  let killed = false;
  const kill = (chunk: string, child: ChildProcess) => {
    if (!killed && chunk.includes(opts.marker)) {
      killed = true;
      child.kill('SIGKILL');
    }
  };
  return runCli(args, { cwd: opts.cwd, env: opts.env, [opts.stream === 'stdout' ? 'onStdout' : 'onStderr']: kill });
}
