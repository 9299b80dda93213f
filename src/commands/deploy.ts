import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import * as clack from '@clack/prompts';
import { openSession, ignoreStateDir } from '../session.js';
import { StateStore, checkIdentity } from '../state/state-store.js';
import { acquireLock } from '../state/lock.js';
import { makeContextFactory } from '../step-context.js';
import { createLogger, Redactor } from '../logger.js';
import { runSteps, type Renderer, type StepEvent } from '../runner.js';
import { computePlan } from './plan.js';
import { formatCost, formatPlan } from '../ui/format-plan.js';
import { InputError, InterruptedError } from '../errors.js';
import { systemClock } from '../clock.js';
import { runInit } from './init.js';
import { formatSummary } from '../ui/format-summary.js';
import type { CommonOptions, Io } from '../options.js';

function pickRenderer(opts: CommonOptions, io: Io): Renderer {
  if (opts.json) return 'silent';
  if (opts.verbose) return 'verbose';
  return io.isTTY ? 'default' : 'simple';
}

export async function deployCommand(opts: CommonOptions, io: Io): Promise<number> {
  const interactive = io.isTTY && !opts.nonInteractive && !opts.json;
  const configPath = resolve(io.cwd, opts.configPath);
  if (!existsSync(configPath)) {
    if (!interactive) {
      throw new InputError(`read config: ${opts.configPath} does not exist`, [`--config ${opts.configPath}: no such file`], {
        hint: 'Run `deploy-wizard init` on a terminal to create it, or commit deploy-wizard.json and pass --config PATH.',
      });
    }
    await runInit(opts, io);
  }
  const clock = systemClock;
  const session = await openSession(opts, io);
  const store = new StateStore(session.loaded.dir, opts.env);
  const lock = await acquireLock(store.paths.lock, ['deploy-wizard', ...io.argv].join(' '), clock.now());
  const note = (m: string) => {
    if (!opts.json) io.stderr.write(m + '\n');
  };
  if (lock.brokeStale) note(`Took over a stale lock from pid ${lock.brokeStale.pid} (${lock.brokeStale.command}), which is no longer running.`);
  try {
    const state = await store.load(session.loaded.config.app, clock.now());
    checkIdentity(state, session.account, session.region);
    const save = () => store.save(state, clock.now());
    await save();
    if (await ignoreStateDir(session.loaded.dir)) note('Added .deploy-wizard/ to .gitignore.');

    if (interactive && !opts.yes) {
      const plan = await computePlan(session, state, io, (m) => clack.log.warn(m));
      clack.note(formatPlan(plan.plans), `Plan for ${session.loaded.config.app} (${opts.env}) in ${session.region}`);
      clack.note(formatCost(plan.cost), 'Estimated monthly cost');
      const ok = await clack.confirm({ message: 'Deploy this?' });
      if (clack.isCancel(ok)) throw new InterruptedError('deploy: cancelled at the confirmation');
      if (!ok) {
        clack.outro('Nothing was changed.');
        return 0;
      }
    }

    const redactor = new Redactor();
    const emit = (e: StepEvent) => {
      if (opts.json) io.stdout.write(JSON.stringify(e) + '\n');
    };
    const resumed = Object.values(state.steps).some((s) => s.status === 'failed' || s.status === 'running');
    if (resumed) note('Resuming: steps that finished last time are checked, not redone.');
    await runSteps({
      steps: session.steps,
      state,
      save,
      contextFor: makeContextFactory(session, state, io, save, clock),
      makeLogger: (sink) => createLogger(sink, redactor, opts.verbose),
      renderer: pickRenderer(opts, io),
      emit,
      signal: io.signal,
      now: () => clock.now(),
    });
    if (opts.json) emit({ step: 'deploy', status: 'done', message: `deployed ${session.loaded.config.app} (${opts.env})`, timestamp: clock.now().toISOString() });
    else io.stdout.write(formatSummary(session.loaded.config, opts.env, session.region, state) + '\n');
    return 0;
  } finally {
    await lock.release();
  }
}
