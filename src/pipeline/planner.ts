// Compute, then act: everything here is read-only. The plan, the preflight
// checks and the cost estimate are asked of each enabled step in pipeline
// order; nothing is created and the state is never saved.
import type { Session } from '../session.js';
import type { StateFile } from '../state/state-file.js';
import type { Io } from '../options.js';
import { makeContextFactory } from './context-factory.js';
import { createLogger, Redactor } from '../logger.js';
import { findRemovals } from './removed-steps.js';
import { describeAwsError } from '../aws/describe-error.js';
import { systemClock } from '../clock.js';
import { InputError } from '../errors.js';
import type { Settings } from './context.js';
import type { PlanItem } from './step.js';
import { estimateCost, type CostEstimate } from './estimate-cost.js';

export { estimateCost, type CostEstimate } from './estimate-cost.js';

export interface ComputedPlan {
  plans: { step: string; items: PlanItem[] }[];
  cost: CostEstimate;
}

function readOnlyContexts(session: Session, state: StateFile, io: Io, extra: Partial<Settings>, what: string) {
  return makeContextFactory(
    session,
    state,
    io,
    async () => {
      throw new Error(`${what} is read-only and must not save state`);
    },
    systemClock,
    extra,
  );
}

/** Read-only: asks every enabled step what it would do, and adds what a deploy would remove. */
export async function computePlan(session: Session, state: StateFile, io: Io, warn: (m: string) => void, extra: Partial<Settings> = {}): Promise<ComputedPlan> {
  const plans = await stepPlans(session, state, io, extra, warn);
  // Keys the config no longer has, and what steps retired: a deploy removes them (with --yes, or confirmed on a terminal).
  const contextFor = readOnlyContexts(session, state, io, extra, 'plan');
  const quiet = createLogger(() => undefined, new Redactor(), false);
  for (const r of await findRemovals(session, state, (step) => contextFor(step, quiet))) {
    const items: PlanItem[] = r.items.map((t) => ({ action: t.keep ? 'keep' : 'delete', resource: t.resource, detail: t.keep ?? 'no longer in the config' }));
    const own = plans.find((p) => p.step === r.step.id);
    if (own) own.items.push(...items);
    else plans.push({ step: r.step.id, items });
  }
  return { plans, cost: estimateCost(session.loaded.config, session.steps) };
}

/**
 * Each step's plan alone, with nothing about removals: what computePlan starts from, and a preview's plan
 * (src/commands/preview.ts), whose state also holds the parent's outputs of the steps it shares, which are not its
 * to remove. A step's warnings go to `warn`, prefixed with its id.
 */
export async function stepPlans(
  session: Session,
  state: StateFile,
  io: Io,
  extra: Partial<Settings> = {},
  warn: (m: string) => void = () => undefined,
): Promise<ComputedPlan['plans']> {
  const redactor = new Redactor();
  const contextFor = readOnlyContexts(session, state, io, extra, 'plan');
  const plans: ComputedPlan['plans'] = [];
  for (const step of session.steps) {
    const log = createLogger((level, m) => level === 'warn' && warn(`${step.id}: ${m}`), redactor, false);
    try {
      plans.push({ step: step.id, items: await step.plan(contextFor(step, log)) });
    } catch (e) {
      throw describeAwsError(e, `plan ${step.id}`);
    }
  }
  return plans;
}

/** Runs every enabled step's preflight and stops with exit 2 listing all problems at once. */
export async function preflightSteps(session: Session, state: StateFile, io: Io, extra: Partial<Settings> = {}): Promise<void> {
  const contextFor = readOnlyContexts(session, state, io, extra, 'preflight');
  const redactor = new Redactor();
  const problems: string[] = [];
  for (const step of session.steps) {
    if (!step.preflight) continue;
    try {
      problems.push(
        ...(await step.preflight(
          contextFor(
            step,
            createLogger(() => undefined, redactor, false),
          ),
        )),
      );
    } catch (e) {
      throw describeAwsError(e, `check ${step.id}`);
    }
  }
  if (problems.length) {
    throw new InputError(`check account: ${problems.length} problem${problems.length > 1 ? 's' : ''} would stop this deploy part-way`, problems, {
      hint: 'Nothing has been created. Fix each problem above, then run again.',
    });
  }
}
