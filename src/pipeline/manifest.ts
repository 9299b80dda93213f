import type { Config } from '../config/schema.js';
import type { CostLine, Step, StepId } from './step.js';

// What one step is, said once, without loading its code: the step's folder
// holds `manifest.ts` (this), `apply.ts` (plan, apply, verify: loaded only
// when the config asks for the step) and `teardown.ts`. Everything that must
// know a step without running it reads the manifest: which steps a config
// runs (`enabled`), the order (`dependsOn`), the cost estimate (`cost`), and
// the CI deploy role's permissions (`resources` and `grants`), so none of
// them re-types a step's names.

/** Where a deploy runs: what a resource's ARN is built from. */
export interface Where {
  app: string;
  env: string;
  account: string;
  region: string;
  partition: string;
  /** The preview role's view (src/ci/preview-policy.ts): env is `<parent>--*` and name "*", so names become every preview's pattern. */
  preview?: { name: string; parent: string };
}

/**
 * One resource a step makes, or the family of them one ARN pattern names (a
 * task definition family's revisions, a secret's generated suffix), named by
 * a kind that grants (this step's or another's) refer to. The ARN never
 * reaches beyond this app and env: no prefix such as "shop-prod-*", which
 * would also match env "prod-eu" or app "shop-prod".
 */
export interface ManifestResource {
  kind: string;
  arn: string;
  /**
   * The ARN is a pattern wider than this env's own names (alarms a changed
   * config no longer has, whatever they were called): every grant on it is
   * conditioned on the resource carrying this app's and env's tags.
   */
  taggedOnly?: true;
}

export interface Grant {
  sid: string;
  /** SDK calls, as the call hook names them ("ECS:CreateService"); src/ci/iam-action.ts turns them into IAM actions. */
  calls?: readonly string[];
  /** IAM actions no SDK call of ours names (docker's pushes to ECR, tagging on create). */
  actions?: readonly string[];
  /**
   * What the grant acts on: the kinds of resources a manifest declares (this
   * step's or another's), or "*" where AWS gives the resource a generated id
   * (EC2, ELB, RDS, ACM...) or the call takes none.
   */
  on: '*' | readonly string[];
  condition?: Record<string, Record<string, string | string[] | boolean>>;
  /** Only on roles that carry (or are created with) this app's permissions boundary. */
  boundary?: true;
}

export interface StepManifest<Id extends StepId = StepId> {
  id: Id;
  title: string;
  dependsOn: readonly StepId[];
  /** Whether the config asks for this step. Absent: every config runs it. */
  enabled?: (config: Config) => boolean;
  /** Every resource with a name known before it exists, as exact ARNs (or this env's own ARN patterns). */
  resources?: (w: Where, config: Config) => ManifestResource[];
  /** The IAM permissions its plan, apply and verify need. */
  grants: readonly Grant[];
  /** Its lines in the monthly cost estimate, from the config alone (plan shows it before anything exists). */
  cost?: (config: Config) => CostLine[];
  /** The step's code, loaded when it runs. */
  load: () => Promise<StepCode<Id>>;
  /** What destroy (and a deploy that dropped the step's key) removes; absent for steps that make nothing to remove. */
  loadTeardown?: () => Promise<NonNullable<Step<Id>['destroy']>>;
}

/** The part of a step its apply.ts exports: everything the manifest does not say. */
export type StepCode<Id extends StepId = StepId> = Omit<Step<Id>, 'id' | 'title' | 'dependsOn' | 'enabled' | 'cost' | 'destroy'>;

/** Typed per step id; the identity function that lets a manifest's `load` be checked against its outputs. */
export const defineStep = <Id extends StepId>(m: StepManifest<Id>): StepManifest<Id> => m;

/** The step a manifest describes, its code loaded (and its teardown, when asked). */
export async function loadStep<Id extends StepId>(m: StepManifest<Id>, withTeardown: boolean): Promise<Step> {
  const [code, destroy] = await Promise.all([m.load(), withTeardown ? m.loadTeardown?.() : undefined]);
  const step: Step<Id> = {
    ...code,
    id: m.id,
    title: m.title,
    dependsOn: m.dependsOn,
    ...(m.enabled ? { enabled: m.enabled } : {}),
    ...(m.cost ? { cost: m.cost } : {}),
    ...(destroy ? { destroy } : {}),
  };
  return step as unknown as Step;
}

/** An ARN in this deploy's partition and account; region "" for global services (IAM, CloudFront, Budgets). */
export const arnIn = (w: Where, service: string, rest: string, region = w.region) => `arn:${w.partition}:${service}:${region}:${w.account}:${rest}`;
