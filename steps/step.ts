import type { Config } from '../src/config/schema.js';
import type { StepContext } from '../src/context.js';

export type StepId = 'network' | 'ecr-push' | 'rds' | 'pgvector' | 'elasticache' | 's3-buckets' | 'cognito' | 'secrets' | 'iam-roles' | 'task-definition' | 'migrations' | 'service' | 'first-boot';

/** One line of a plan: what a step would do to one resource. */
export interface PlanItem {
  action: 'create' | 'update' | 'keep';
  resource: string;
  detail?: string;
}

export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

/**
 * A pipeline step. It gets everything through its context and never reads
 * process.env, prompts, writes state or builds clients. `apply` converges: it
 * looks resources up by deterministic name, creates what is missing, changes
 * only what differs, and is safe to repeat after a crash at any point. It
 * takes no plan argument: time passes between plan and apply (the confirm
 * prompt), so apply reads live state again rather than trusting a stale plan.
 */
export interface Step<Out extends object = Record<string, unknown>> {
  id: StepId;
  title: string;
  dependsOn: readonly StepId[];
  enabled?(config: Config): boolean;
  /** What decides the step's result; a change to its hash makes a done step run again. Never secret values. */
  inputs(ctx: StepContext): Promise<unknown>;
  /** Read-only calls only. */
  plan(ctx: StepContext): Promise<PlanItem[]>;
  /**
   * Read-only: problems that would make this step fail after other steps had
   * created things (a network tasks cannot leave, a name AWS refuses). Every
   * enabled step's preflight runs before any step applies; any problem stops
   * the run with exit 2.
   */
  preflight?(ctx: StepContext): Promise<string[]>;
  apply(ctx: StepContext): Promise<Out>;
  /** The cheap read-only check that lets a done, unchanged step be skipped. */
  verify(ctx: StepContext, out: Out): Promise<Check[]>;
}

/** True when the tags say this app and env own the resource: the test before adopting or changing anything. */
export function ownedBy(ctx: Pick<StepContext, 'app' | 'env'>, tags: readonly { Key?: string; Value?: string }[] | undefined): boolean {
  const get = (k: string) => tags?.find((t) => t.Key === k)?.Value;
  return get('deploy-wizard:app') === ctx.app && get('deploy-wizard:env') === ctx.env;
}

/** The ownership tags every resource carries; destroy touches nothing without them. */
export function ownershipTags(ctx: Pick<StepContext, 'app' | 'env'>, step: StepId): { Key: string; Value: string }[] {
  return [
    { Key: 'deploy-wizard:app', Value: ctx.app },
    { Key: 'deploy-wizard:env', Value: ctx.env },
    { Key: 'deploy-wizard:step', Value: step },
  ];
}
