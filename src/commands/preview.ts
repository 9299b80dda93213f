import type { CommonOptions, Io } from '../options.js';
import { openPreviewSession, previewCost, previewSharedSteps } from '../session.js';
import { askedValues } from '../preview/asked-values.js';
import { describeAwsError } from '../aws/describe-error.js';
import { InputError } from '../errors.js';
import { systemClock } from '../clock.js';
import { createLogger, Redactor } from '../logger.js';
import { makeContextFactory } from '../pipeline/context-factory.js';
import { runSteps, type StepEvent } from '../pipeline/runner.js';
import { pickRenderer } from '../ui/pick-renderer.js';
import { runTeardowns } from '../pipeline/removed-steps.js';
import { teardownOrder } from '../pipeline/teardown-order.js';
import { destroyStamp, type Step, type StepOutputs } from '../pipeline/step.js';
import type { StateFile } from '../state/state-file.js';
import { checkIdentity } from '../state/state-store.js';
import { lockCommandOf } from '../state/open-state.js';
import { parseDuration } from '../parse-duration.js';
import { derive, formatPreviewRows, previewRows } from '../preview/preview-rows.js';
import { previewEnv, type PreviewOf } from '../preview/preview-of.js';
import { stepPlans } from '../pipeline/planner.js';
import { formatCost, formatPlan } from '../ui/format-plan.js';
import { previewStates } from '../preview/preview-states.js';
import { checkPreviewName, openParent, previewStore, type PreviewTarget } from '../preview/open-preview.js';

/** Redis (cluster mode disabled) has 16 logical databases; the parent uses 0. */
const CACHE_DBS = 15;

export interface PreviewFlags {
  envGiven: boolean;
  dataFrom?: string;
  schemaOnly?: boolean;
  noKeep?: boolean;
  olderThan?: string;
}

/** What the steps are told of the preview, the same for up, plan and down: the rest (its mode, flags) is the run's. */
function previewOf(
  t: PreviewTarget,
  name: string,
  d: ReturnType<typeof derive>,
  run: Pick<PreviewOf, 'database'> & Partial<Pick<PreviewOf, 'dataFrom' | 'schemaOnly' | 'cacheDb' | 'keepDays'>>,
): PreviewOf {
  // The parent's step outputs, as its state holds them.
  const parentOutputs = Object.fromEntries(
    Object.entries(t.parentState.steps).flatMap(([id, st]) => (st.status === 'done' && st.outputs ? [[id, st.outputs]] : [])),
  );
  return { name, parent: t.parent, host: d.host, maxCloneMb: t.previews.maxCloneMb, bucketPrefix: d.bucketPrefix, parentOutputs, ...run };
}

/** The parent's outputs of what the preview shares, as they are now: a re-run after the parent changed follows it. */
function withSharedOutputs(state: StateFile, t: PreviewTarget): void {
  for (const id of previewSharedSteps()) {
    const out = t.parentState.steps[id];
    if (out?.status === 'done' && out.outputs) state.steps[id] = { status: 'done', outputs: out.outputs, inputHash: 'parent' };
    else delete state.steps[id];
  }
}

function say(opts: CommonOptions, io: Io) {
  return (step: string, status: StepEvent['status'], m: string, extra: Record<string, unknown> = {}) => {
    if (opts.json) io.stdout.write(JSON.stringify({ step, status, message: m, timestamp: systemClock.now().toISOString(), ...extra }) + '\n');
    else if (status === 'done' && step === 'preview') io.stdout.write(m + '\n');
    else io.stderr.write(`${step === 'preview' ? '' : `${step}: `}${m}\n`);
  };
}

/** preview up NAME: makes or updates the preview, resumable like a deploy. */
export async function previewUp(opts: CommonOptions, io: Io, name0: string | undefined, f: PreviewFlags, planOnly = false): Promise<number> {
  const name = checkPreviewName(name0);
  const t = await openParent(opts, io, f.envGiven);
  const p = t.previews;
  if (f.dataFrom !== undefined) {
    checkPreviewName(f.dataFrom, '--data-from');
    if (p.database !== 'clone')
      throw new InputError('preview up: --data-from copies a database', [`--data-from: only with previews.database "clone" (it is "${p.database}")`]);
    if (f.dataFrom === name) throw new InputError('preview up: --data-from names this preview', ['--data-from: name another preview, such as pr-41']);
  }
  if (f.schemaOnly && p.database !== 'clone')
    throw new InputError('preview up: --schema-only copies a schema', [`--schema-only: only with previews.database "clone" (it is "${p.database}")`]);
  const done = (id: string) => t.parentState.steps[id]?.status === 'done';
  const needs = ['network', ...(t.loaded.config.database ? ['rds', 'pgvector'] : []), 'service'].filter((id) => !done(id));
  if (needs.length)
    throw new InputError(`preview up: ${t.parent} is not deployed`, [`previews.from: ${t.parent} has not finished ${needs.join(', ')}`], {
      hint: `Deploy it first: deploy-wizard deploy --env ${t.parent}. Nothing has been created.`,
    });
  // The parent answers every NAME.<previews.domain> once its certificate and alias records cover the wildcard,
  // which its own deploy adds (load-config's withPreviewAlias): a preview's role may not change the parent's listener.
  const wildcard = `*.${p.domain}`;
  if (t.loaded.config.domain) {
    const cert = t.parentState.steps.certificate?.outputs as { names?: string[] } | undefined;
    const dns = t.parentState.steps.dns?.outputs as { records?: { name: string }[] } | undefined;
    const missing = [...(cert?.names?.includes(wildcard) ? [] : ['certificate']), ...(dns?.records?.some((r) => r.name === wildcard) ? [] : ['alias records'])];
    if (missing.length)
      throw new InputError(
        `preview up: ${t.parent} does not answer ${wildcard} yet`,
        [`previews.domain: ${t.parent}'s ${missing.join(' and ')} do not cover ${wildcard}; its next deploy adds it to domain.aliases`],
        {
          hint: `Deploy it once: deploy-wizard deploy --env ${t.parent}. Nothing has been created.`,
        },
      );
  }
  const store = previewStore(t, opts, io, name);
  const clock = systemClock;
  const peek = await store.load(t.loaded.config.app, clock.now());
  const alive = peek.preview && !peek.preview.downAt ? peek.preview : undefined;
  // Its database is kept for its life: going on would leave the old one where down no longer finds it.
  if (alive?.database && alive.database !== p.database)
    throw new InputError(
      `preview up: ${name} has a "${alive.database}" database`,
      [`previews.database: ${name} was brought up with "${alive.database}" and it is now "${p.database}"; a preview keeps its database for its life`],
      { hint: `To change it: deploy-wizard preview down ${name}, then preview up ${name}. Nothing has been changed.` },
    );
  const others = await previewStates(t.loaded, opts, io, t.parent);
  if (f.dataFrom && !others.some((s) => s.preview?.name === f.dataFrom && s.steps.pgvector?.status === 'done'))
    throw new InputError(`preview up: there is no preview ${f.dataFrom} with a database`, [
      `--data-from ${f.dataFrom}: preview list shows the previews that are up`,
    ]);
  // Its own Redis database for its life: the lowest another preview does not hold.
  let cacheDb = alive?.cacheDb;
  if (t.loaded.config.cache && cacheDb === undefined) {
    const used = new Set(others.filter((s) => s.preview?.name !== name).map((s) => s.preview?.cacheDb));
    for (let n = 1; n <= CACHE_DBS && cacheDb === undefined; n++) if (!used.has(n)) cacheDb = n;
  }
  const d = derive(t, name, cacheDb);
  const preview = previewOf(t, name, d, {
    database: p.database,
    ...(f.dataFrom ? { dataFrom: f.dataFrom } : {}),
    ...(f.schemaOnly ? { schemaOnly: true } : {}),
    ...(cacheDb ? { cacheDb } : {}),
  });
  const session = await openPreviewSession(t.loaded, t.parentState, opts, io, d.config, preview, { docker: !planOnly, teardown: false });
  if (planOnly) {
    // Read-only: the preview's state as up would see it (the parent's shared outputs in it), nothing saved.
    const view = { ...peek, steps: { ...peek.steps } };
    withSharedOutputs(view, t);
    const plans = await stepPlans(session, view, io);
    const cost = previewCost(d.config);
    if (opts.json)
      io.stdout.write(JSON.stringify({ type: 'plan', env: previewEnv(t.parent, name), account: session.account, region: session.region, plans, cost }) + '\n');
    else
      io.stdout.write(
        `Plan for preview ${name} of ${t.loaded.config.app} (${t.parent})\n${formatPlan(plans)}\nEstimated monthly cost (its tasks; the rest is ${t.parent}'s)\n${formatCost(cost)}\n`,
      );
    return 0;
  }
  const secretValues = await askedValues(session.aws, t.parent, d.config);
  const note = say(opts, io);
  if (d.cacheKeyPrefix)
    note(
      'preview',
      'warning',
      `all ${CACHE_DBS} of the cache's spare databases are taken: ${name} shares database 0, its keys under CACHE_KEY_PREFIX=${d.cacheKeyPrefix}`,
    );
  const lock = await store.lock(lockCommandOf(io), () => clock.now());
  try {
    const state = await store.load(t.loaded.config.app, clock.now());
    checkIdentity(state, session.account, session.region);
    const save = () => store.save(state, clock.now());
    withSharedOutputs(state, t);
    const now = clock.now().toISOString();
    const wasAlive = state.preview && !state.preview.downAt;
    state.preview = {
      name,
      parent: t.parent,
      host: d.host,
      database: p.database,
      ...(cacheDb ? { cacheDb } : {}),
      createdAt: wasAlive ? state.preview!.createdAt : now,
      upAt: now,
    };
    await save();
    const redactor = new Redactor();
    for (const v of Object.values(secretValues)) redactor.add(v);
    const contextFor = makeContextFactory(session, state, io, save, clock, {
      secretValues,
      // A preview's secret deleted by an earlier down comes back (its values converge to the config's).
      restoreSecrets: true,
      allowRemovals: true,
    });
    await runSteps({
      steps: session.steps,
      state,
      save,
      contextFor,
      makeLogger: (sink) => createLogger(sink, redactor, opts.verbose),
      renderer: pickRenderer(opts, io),
      emit: (e) => {
        if (opts.json) io.stdout.write(JSON.stringify(e) + '\n');
      },
      signal: io.signal,
      now: () => clock.now(),
      lockLost: () => lock.lost?.(),
    });
    const url = (state.steps['load-balancer']?.outputs as StepOutputs['load-balancer'] | undefined)?.url;
    state.preview = { ...state.preview, ...(url ? { url } : {}) };
    await save();
    const cost = previewCost(d.config);
    note(
      'preview',
      'done',
      `Preview ${name} of ${t.loaded.config.app} (${t.parent}) is up${url ? `: ${url}` : ''}\nEstimated monthly cost: $${cost.total} (its tasks; the rest is ${t.parent}'s)`,
      {
        preview: name,
        ...(url ? { url } : {}),
        monthly: cost.total,
      },
    );
    return 0;
  } finally {
    await lock.release();
  }
}

/** Removes exactly what the preview owns, in reverse pipeline order; never its images (they are in the parent's repositories). */
async function takeDown(t: PreviewTarget, opts: CommonOptions, io: Io, name: string, f: PreviewFlags): Promise<boolean> {
  const store = previewStore(t, opts, io, name);
  const clock = systemClock;
  const peek = await store.load(t.loaded.config.app, clock.now());
  if (!peek.preview || peek.preview.downAt) return false;
  const d = derive(t, name, peek.preview.cacheDb);
  const preview = previewOf(t, name, d, {
    database: peek.preview.database ?? t.previews.database,
    ...(f.noKeep ? {} : { keepDays: t.previews.ttlDays }),
    ...(peek.preview.cacheDb ? { cacheDb: peek.preview.cacheDb } : {}),
  });
  const session = await openPreviewSession(t.loaded, t.parentState, opts, io, d.config, preview, { docker: false, teardown: true });
  const note = say(opts, io);
  const lock = await store.lock(lockCommandOf(io), () => clock.now());
  try {
    const state = await store.load(t.loaded.config.app, clock.now());
    checkIdentity(state, session.account, session.region);
    const save = () => store.save(state, clock.now());
    const contextFor = makeContextFactory(session, state, io, save, clock);
    const redactor = new Redactor();
    const stamp = destroyStamp(clock.now());
    const own = (s: Step): s is Step & Required<Pick<Step, 'destroy'>> => !!s.destroy && s.id !== 'ecr-push';
    for (const s of teardownOrder(session.steps).filter(own)) {
      const ctx = contextFor(
        s,
        createLogger((_l, m) => note(s.id, 'progress', m), redactor, opts.verbose),
      );
      const items = await s
        .destroy(ctx, { deleteData: true, skipFinalSnapshot: true, stamp })
        .catch((e: unknown) => Promise.reject(describeAwsError(e, `preview down: find what ${s.id} made`)));
      await runTeardowns(items, 'preview down', { deleted: (x) => note(s.id, 'progress', `deleted ${x.resource}`) });
      delete state.steps[s.id];
      await save();
    }
    state.steps = {};
    state.preview = { ...state.preview!, downAt: clock.now().toISOString() };
    await save();
    return true;
  } finally {
    await lock.release();
  }
}

/** preview down NAME: gone is done (a preview that is not up is nothing to do). */
export async function previewDown(opts: CommonOptions, io: Io, name0: string | undefined, f: PreviewFlags): Promise<number> {
  const name = checkPreviewName(name0);
  const t = await openParent(opts, io, f.envGiven);
  const gone = await takeDown(t, opts, io, name, f);
  say(opts, io)(
    'preview',
    'done',
    gone ? `Preview ${name} of ${t.loaded.config.app} (${t.parent}) is down.` : `There is no preview ${name} of ${t.parent} up; nothing to do.`,
    {
      preview: name,
    },
  );
  return 0;
}

export async function previewList(opts: CommonOptions, io: Io, f: PreviewFlags): Promise<number> {
  const t = await openParent(opts, io, f.envGiven);
  const rows = await previewRows(t, opts, io);
  if (opts.json) io.stdout.write(JSON.stringify({ type: 'previews', parent: t.parent, previews: rows }) + '\n');
  else io.stdout.write(formatPreviewRows(rows) + '\n');
  return 0;
}

/** preview prune: every preview not brought up for --older-than (default previews.ttlDays) goes down; the others stay. */
export async function previewPrune(opts: CommonOptions, io: Io, f: PreviewFlags): Promise<number> {
  const t = await openParent(opts, io, f.envGiven);
  // --older-than was checked with the flags.
  const ms = (f.olderThan ? parseDuration(f.olderThan) : undefined) ?? t.previews.ttlDays * 86_400_000;
  const now = systemClock.now().getTime();
  const rows = await previewRows(t, opts, io);
  const old = rows.filter((r) => now - Date.parse(r.upAt) > ms);
  const note = say(opts, io);
  for (const r of old) {
    note('preview', 'progress', `${r.name}: last brought up ${r.updated} ago; taking it down`);
    await takeDown(t, opts, io, r.name, f);
  }
  note(
    'preview',
    'done',
    old.length ? `Pruned ${old.map((r) => r.name).join(', ')}; ${rows.length - old.length} kept.` : `Nothing to prune; ${rows.length} preview(s) kept.`,
    {
      pruned: old.map((r) => r.name),
    },
  );
  return 0;
}
