import { createHash } from 'node:crypto';
import { Listr, type ListrTaskWrapper } from 'listr2';
import type { Step } from './step.js';
import type { StepContext } from './context.js';
import type { StateFile, StepState } from '../state/state-file.js';
import type { Logger } from '../logger.js';
import { InterruptedError, StateError, StepError, WizardError } from '../errors.js';
import { describeAwsError } from '../aws/describe-error.js';
import { canonicalJson } from '../canonical-json.js';

/** The listr2 task a step runs in; its renderer types vary with the renderer chosen at run time. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- listr2's wrapper is generic over the renderer classes
type Task = ListrTaskWrapper<unknown, any, any>;

export type StepEventStatus = 'started' | 'progress' | 'unchanged' | 'done' | 'failed' | 'skipped' | 'warning';
export interface StepEvent {
  step: string;
  status: StepEventStatus;
  message?: string;
  timestamp: string;
}

export type Renderer = 'default' | 'simple' | 'verbose' | 'silent';

export interface RunOptions {
  steps: readonly Step[];
  state: StateFile;
  /**
   * Persists state; called after every transition, from steps running at the
   * same time. The state store orders these writes (one writer per state), so
   * the runner does not queue them again.
   */
  save(): Promise<void>;
  /** Builds a step's context around the logger the runner gives it. */
  contextFor(step: Step, log: Logger): StepContext;
  makeLogger(sink: (level: 'info' | 'warn' | 'debug', msg: string) => void): Logger;
  renderer: Renderer;
  emit(event: StepEvent): void;
  signal: AbortSignal;
  now(): Date;
  /** Why this run no longer holds the state's lock, once it is so: checked before each step starts, not only at state writes. */
  lockLost?(): string | undefined;
}

export interface RunResult {
  outcome: Record<string, 'done' | 'unchanged' | 'failed' | 'skipped'>;
}

/** Canonical JSON so the same inputs always hash the same. */
export function hashInputs(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/**
 * Runs the steps honouring dependsOn. A done step whose input hash is
 * unchanged and whose verify still passes is skipped; anything else converges
 * again. State is saved after every transition so a crash anywhere resumes.
 */
export async function runSteps(opts: RunOptions): Promise<RunResult> {
  const { state, steps } = opts;
  const outcome: RunResult['outcome'] = {};
  // Every step's completion exists before any step starts, so a step can wait
  // for one listed after it; each resolves true (done or unchanged) or false.
  const finished = new Map<string, Promise<boolean>>();
  const settle = new Map<string, (ok: boolean) => void>();
  for (const s of steps) finished.set(s.id, new Promise<boolean>((r) => settle.set(s.id, r)));
  const save = opts.save;
  const ts = () => opts.now().toISOString();
  const emit = (step: string, status: StepEventStatus, message?: string) => opts.emit({ step, status, message, timestamp: ts() });

  const runOne = async (step: Step, task: Task): Promise<boolean> => {
    const deps = step.dependsOn.filter((d) => steps.some((s) => s.id === d));
    const depOk = await Promise.all(deps.map((d) => finished.get(d)!));
    const failedDep = deps.find((_, i) => !depOk[i]);
    if (failedDep || opts.signal.aborted) {
      const why = opts.signal.aborted ? 'interrupted before it started' : `waits for ${failedDep}, which did not finish`;
      outcome[step.id] = 'skipped';
      emit(step.id, 'skipped', why);
      task.skip(`${step.title} (${why})`);
      return false;
    }
    const log = opts.makeLogger((level, msg) => {
      if (level === 'warn') emit(step.id, 'warning', msg);
      else emit(step.id, 'progress', msg);
      task.output = msg;
    });
    const ctx = opts.contextFor(step, log);
    const lost = opts.lockLost?.();
    if (lost) {
      const err = new StateError(`${step.id}: not started: ${lost}`, { hint: 'Another run may own this state now. Let it finish, then run again.' });
      outcome[step.id] = 'failed';
      emit(step.id, 'failed', err.message);
      throw err;
    }
    const prev: StepState = state.steps[step.id] ?? { status: 'pending' };
    try {
      const inputHash = hashInputs(await step.inputs(ctx));
      if (prev.status === 'done' && prev.inputHash === inputHash && prev.outputs) {
        const checks = await step.verify(ctx, prev.outputs as never);
        const failing = checks.filter((c) => !c.ok);
        if (failing.length === 0) {
          outcome[step.id] = 'unchanged';
          emit(step.id, 'unchanged', 'no changes');
          task.title = `${step.title} (unchanged)`;
          return true;
        }
        log.info(`drift found (${failing.map((c) => c.name + (c.detail ? `: ${c.detail}` : '')).join('; ')}); converging`);
      }
      state.steps[step.id] = { ...prev, status: 'running', startedAt: ts(), error: undefined, finishedAt: undefined };
      await save();
      emit(step.id, 'started');
      const out = await step.apply(ctx);
      state.steps[step.id] = { ...state.steps[step.id]!, status: 'done', inputHash, outputs: out as unknown as Record<string, unknown>, finishedAt: ts() };
      await save();
      outcome[step.id] = 'done';
      emit(step.id, 'done');
      return true;
    } catch (e) {
      const err = opts.signal.aborted ? new InterruptedError(`${step.id}: interrupted`) : toStepError(step.id, e, log);
      state.steps[step.id] = { ...(state.steps[step.id] ?? prev), status: 'failed', error: { message: err.message, hint: err.hint }, finishedAt: ts() };
      await save();
      outcome[step.id] = 'failed';
      emit(step.id, 'failed', err.message);
      throw err;
    }
  };

  const errors: WizardError[] = [];
  const list = new Listr(
    steps.map((step) => ({
      title: step.title,
      task: (_: unknown, task: Task) => {
        const p = runOne(step, task).catch((e: WizardError) => {
          errors.push(e);
          return false;
        });
        void p.then((ok) => settle.get(step.id)!(ok));
        return p.then((ok) => {
          if (!ok && outcome[step.id] === 'failed') throw errors[errors.length - 1]!;
        });
      },
    })),
    {
      concurrent: true,
      exitOnError: false,
      renderer: opts.renderer,
      fallbackRenderer: 'simple',
      registerSignalListeners: false,
      rendererOptions: { collapseErrors: false, showErrorMessage: true },
    } as ConstructorParameters<typeof Listr>[1],
  );
  await list.run();
  if (opts.signal.aborted) throw new InterruptedError();
  // A state write refused (the lock lost, the state changed under us) says more than the steps it stopped.
  const first = errors.find((e) => e instanceof StateError) ?? errors.find((e) => !(e instanceof InterruptedError)) ?? errors[0];
  if (first) throw first;
  return { outcome };
}

function toStepError(stepId: string, e: unknown, log: Logger): WizardError {
  if (e instanceof WizardError) return e;
  const mapped = describeAwsError(e, stepId);
  return new StepError(stepId, log.redact(mapped.message), {
    hint: mapped.hint ?? 'Fix the cause, then run the same command again; it resumes at this step.',
    cause: e,
  });
}
