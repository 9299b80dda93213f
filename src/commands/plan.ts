import { openSession, type Session } from '../session.js';
import { StateStore } from '../state/state-store.js';
import { makeContextFactory } from '../step-context.js';
import { createLogger, Redactor } from '../logger.js';
import { estimateCost } from '../cost.js';
import { formatCost, formatPlan } from '../ui/format-plan.js';
import { describeAwsError } from '../aws/describe-error.js';
import { systemClock } from '../clock.js';
import type { PlanItem } from '../../steps/step.js';
import type { StateFile } from '../state/state-file.js';
import type { CommonOptions, Io } from '../options.js';
import type { Settings } from '../context.js';
import { collectSecretInputs } from '../secret-inputs.js';

export interface ComputedPlan {
  plans: { step: string; items: PlanItem[] }[];
  cost: ReturnType<typeof estimateCost>;
}

/** Read-only: asks every enabled step what it would do. */
export async function computePlan(session: Session, state: StateFile, io: Io, warn: (m: string) => void, extra: Partial<Settings> = {}): Promise<ComputedPlan> {
  const redactor = new Redactor();
  const contextFor = makeContextFactory(
    session,
    state,
    io,
    async () => {
      throw new Error('plan is read-only and must not save state');
    },
    systemClock,
    extra,
  );
  const plans: ComputedPlan['plans'] = [];
  for (const step of session.steps) {
    const log = createLogger((level, m) => level === 'warn' && warn(`${step.id}: ${m}`), redactor, false);
    try {
      plans.push({ step: step.id, items: await step.plan(contextFor(step, log)) });
    } catch (e) {
      throw describeAwsError(e, `plan ${step.id}`);
    }
  }
  return { plans, cost: estimateCost(session.loaded.config) };
}

export async function planCommand(opts: CommonOptions, io: Io): Promise<number> {
  // Planning needs no Docker: it reads the registry over HTTP.
  const session = await openSession(opts, io, false);
  const store = new StateStore(session.loaded.dir, opts.env);
  const state = await store.load(session.loaded.config.app, systemClock.now());
  const { values } = collectSecretInputs(session.loaded.config, io.env, []);
  const plan = await computePlan(session, state, io, (m) => io.stderr.write(`warning: ${m}\n`), { secretValues: values });
  if (opts.json) {
    io.stdout.write(JSON.stringify({ type: 'plan', env: opts.env, account: session.account, region: session.region, ...plan }) + '\n');
  } else {
    io.stdout.write(`Plan for ${session.loaded.config.app} (${opts.env}) in ${session.region}, account ${session.account}\n\n`);
    io.stdout.write(formatPlan(plan.plans) + '\n\nEstimated monthly cost\n' + formatCost(plan.cost) + '\n');
  }
  return 0;
}
