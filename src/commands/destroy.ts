import { withDeployment } from '../with-deployment.js';
import * as clack from '@clack/prompts';
import { makeContextFactory } from '../pipeline/context-factory.js';
import { createLogger, Redactor } from '../logger.js';
import { systemClock } from '../clock.js';
import { InputError, InterruptedError } from '../errors.js';
import { describeAwsError } from '../aws/describe-error.js';
import { dependentsOf, teardownOrder } from '../pipeline/teardown-order.js';
import { runTeardowns } from '../pipeline/removed-steps.js';
import { destroyStamp, type DestroyOptions, type Step, type Teardown } from '../pipeline/step.js';
import type { CommonOptions, Io } from '../options.js';
import { previewStates } from '../preview/preview-states.js';

export function formatDestroyPlan(found: { step: string; items: Teardown[] }[]): string {
  const lines: string[] = [];
  for (const { step, items } of found) {
    if (!items.length) continue;
    lines.push(step);
    for (const t of items) lines.push(t.keep ? `  = keep   ${t.resource}  (${t.keep})` : `  - delete ${t.resource}`);
  }
  const all = found.flatMap((f) => f.items);
  lines.push('', `${all.filter((t) => !t.keep).length} to delete, ${all.filter((t) => t.keep).length} kept`);
  return lines.join('\n');
}

function keptSummary(kept: Teardown[]): string[] {
  if (!kept.length) return ['Nothing was kept.'];
  const known = kept.filter((k) => k.monthly !== undefined).reduce((n, k) => n + k.monthly!, 0);
  const unknown = kept.filter((k) => k.monthly === undefined).length;
  return [
    'Kept (remove with destroy --delete-data):',
    ...kept.map((k) => `  ${k.resource}: ${k.keep}${k.monthly !== undefined ? `, about $${k.monthly.toFixed(2)}/month` : ''}`),
    `They still cost about $${known.toFixed(2)}/month${unknown ? `, plus storage for ${unknown} of them (priced by size)` : ''}.`,
  ];
}

/**
 * `destroy`: removes what the wizard created for this app and env, in
 * reverse dependency order, only what carries our tags; keeps the data
 * unless --delete-data. Resumable: each step finds what is left by name and
 * tags, so a run after a kill finishes the job.
 */
export async function destroyCommand(opts: CommonOptions, io: Io): Promise<number> {
  const clock = systemClock;
  const d = opts.destroy ?? { deleteData: false, skipFinalSnapshot: false, force: false };
  if (d.skipFinalSnapshot && !d.deleteData)
    throw new InputError('destroy: invalid flags', ['--skip-final-snapshot: only with --delete-data (without it the database is kept)']);
  const interactive = io.isTTY && !opts.nonInteractive && !opts.json;
  // prod needs the name typed even with --yes, unless --force says the script means it.
  const typed = !opts.yes || (opts.env === 'prod' && !d.force);
  if (typed && !interactive) {
    throw new InputError(
      'destroy: not confirmed',
      [opts.yes ? `--yes: the ${opts.env} env also needs --force to be destroyed without typing its name` : `--yes: needed to destroy without a terminal`],
      { hint: 'Nothing was changed.' },
    );
  }
  const say = (step: string, status: 'progress' | 'done' | 'warning', m: string) => {
    if (opts.json) io.stdout.write(JSON.stringify({ step, status, message: m, timestamp: clock.now().toISOString() }) + '\n');
    else io.stderr.write(`${step === 'destroy' ? '' : `${step}: `}${m}\n`);
  };
  return withDeployment(opts, io, { lock: true }, async ({ loaded, session, store, state }) => {
    const app = loaded.config.app;
    // Previews live on this env's load balancer, cluster and database: they go first, each by its own down.
    if (loaded.config.previews?.from === opts.env) {
      const up = (await previewStates(loaded, opts, io, opts.env)).map((s) => s.preview!.name);
      if (up.length)
        throw new InputError(
          `destroy: ${up.length} preview${up.length > 1 ? 's are' : ' is'} up on ${opts.env}`,
          up.map((n) => `preview ${n}: deploy-wizard preview down ${n}`),
          {
            hint: "Nothing was changed. Take the previews down first; they share this env's load balancer, cluster and database.",
          },
        );
    }
    const save = () => store.save(state, clock.now());
    const o: DestroyOptions = { deleteData: d.deleteData, skipFinalSnapshot: d.skipFinalSnapshot, stamp: state.destroy?.stamp ?? destroyStamp(clock.now()) };
    const redactor = new Redactor();
    const contextFor = makeContextFactory(session, state, io, save, clock);
    const allSteps = await session.allSteps();
    const steps = allSteps.filter((s): s is Step & Required<Pick<Step, 'destroy'>> => !!s.destroy);
    const ctxOf = (s: Step) =>
      contextFor(
        s,
        createLogger((_l, m) => say(s.id, 'progress', m), redactor, opts.verbose),
      );
    const list = async (s: Step & Required<Pick<Step, 'destroy'>>) => {
      try {
        return await s.destroy(ctxOf(s), o);
      } catch (e) {
        throw describeAwsError(e, `destroy: find what ${s.id} created`);
      }
    };

    const found = [];
    for (const s of teardownOrder(steps)) found.push({ step: s.id, items: await list(s) });
    const plan = formatDestroyPlan(found);
    if (interactive) clack.note(plan, `Destroy ${app} (${opts.env}) in ${session.region}, account ${session.account}`);
    else if (!opts.json) io.stderr.write(`${plan}\n`);
    if (typed) {
      const v = await clack.text({ message: `Type the app name (${app}) to destroy ${opts.env}`, validate: (x) => (x === app ? undefined : `type ${app}`) });
      if (clack.isCancel(v)) throw new InterruptedError('destroy: cancelled', 'Nothing was changed.');
    }

    state.destroy = { stamp: o.stamp, startedAt: state.destroy?.startedAt ?? clock.now().toISOString(), deleteData: o.deleteData };
    await save();
    const kept: Teardown[] = [];
    // A step starts once every step that depends on it has finished: what uses a resource goes before it.
    const done = new Map<string, Promise<void>>();
    const run = (s: Step & Required<Pick<Step, 'destroy'>>): Promise<void> => {
      let p = done.get(s.id);
      if (p) return p;
      const dependents = dependentsOf(allSteps, s.id, (t) => !!t.destroy) as typeof steps;
      p = Promise.all(dependents.map(run)).then(async () => {
        if (io.signal.aborted) throw new InterruptedError();
        // Listed again: time passed since the plan, and a resumed run finds only what is left.
        await runTeardowns(await list(s), 'destroy', { deleted: (t) => say(s.id, 'progress', `deleted ${t.resource}`), kept: (t) => kept.push(t) });
        delete state.steps[s.id];
        await save();
      });
      done.set(s.id, p);
      return p;
    };
    // Every step is started; the first failure is reported once the others have stopped where they are.
    const results = await Promise.allSettled(steps.map(run));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    state.steps = {};
    delete state.destroy;
    delete state.rollbacks;
    delete state.transfer;
    await save();
    const lines = [`Destroyed ${app} (${opts.env}) in ${session.region}.`, ...keptSummary(kept)];
    if (opts.json) say('destroy', 'done', lines.join('\n'));
    else io.stdout.write(lines.join('\n') + '\n');
    return 0;
  });
}
