import type { Config } from '../config/schema.js';
import type { StepContext } from './context.js';

export type { StepId, StepOutputs } from './outputs.js';
import type { StepId, StepOutputs } from './outputs.js';

/** A monthly cost line a step contributes to the estimate. Lines with the same component are added up. */
export interface CostLine {
  component: string;
  size: string;
  /** USD per month; undefined when no price is on file (shown, not guessed). */
  monthly: number | undefined;
  /** For lines that add up (3 secrets from three steps): the count and its unit, e.g. 2 and "secret(s)". */
  quantity?: { n: number; unit: string };
}

/** What the summary shows of one step: labelled rows (URL, endpoints) and free lines (commands to run next). */
export interface SummaryPart {
  rows?: [label: string, value: string | undefined][];
  notes?: string[];
}

/** What a step's summary may read: the config, where it deployed, and any step's outputs. */
export interface SummaryView {
  config: Config;
  env: string;
  region: string;
  output<K extends StepId>(id: K): StepOutputs[K] | undefined;
}

/** One line of a plan: what a step would do to one resource. */
export interface PlanItem {
  action: 'create' | 'update' | 'keep' | 'delete';
  resource: string;
  detail?: string;
  /** For an update: each field that changes, "desiredCount: 1 → 2". */
  changes?: string[];
}

/** DestroyOptions.stamp from a time: yyyymmddhhmmss (UTC). */
export const destroyStamp = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14);

/** What `destroy` was asked for; every step's destroy gets the same. */
export interface DestroyOptions {
  /** Remove the data too: the database (after its final snapshot), buckets with objects, secrets, the user pool. */
  deleteData: boolean;
  skipFinalSnapshot: boolean;
  /** yyyymmddhhmmss of the first destroy run: snapshot names stay the same when a killed destroy is run again. */
  stamp: string;
}

/** One resource a step's destroy found: removed, or kept and why. */
export interface Teardown {
  /** As the plan shows it: "ECS service shop-api". */
  resource: string;
  /** Kept, and why (data is kept unless --delete-data). Absent when it goes. */
  keep?: string;
  /** USD per month while it is kept; undefined when unknown. */
  monthly?: number;
  /** Removes it (and waits until whatever needs it gone can go). Safe to repeat: gone already counts as done. */
  remove?: () => Promise<void>;
  /** Done even when kept: a final snapshot of a kept database. */
  alsoDo?: () => Promise<void>;
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
export interface Step<Id extends StepId = StepId> {
  id: Id;
  title: string;
  dependsOn: readonly StepId[];
  /** Whether the config asks for this step; set from its line in steps/index.ts, which decides before loading the step's module. */
  enabled?(config: Config): boolean;
  /** What decides the step's result; a change to its hash makes a done step run again. Never secret values. */
  inputs(ctx: StepContext<Id>): Promise<unknown>;
  /** Read-only calls only. */
  plan(ctx: StepContext<Id>): Promise<PlanItem[]>;
  /**
   * Read-only: problems that would make this step fail after other steps had
   * created things (a network tasks cannot leave, a name AWS refuses). Every
   * enabled step's preflight runs before any step applies; any problem stops
   * the run with exit 2.
   */
  preflight?(ctx: StepContext<Id>): Promise<string[]>;
  apply(ctx: StepContext<Id>): Promise<StepOutputs[Id]>;
  /** The cheap read-only check that lets a done, unchanged step be skipped. */
  verify(ctx: StepContext<Id>, out: StepOutputs[Id]): Promise<Check[]>;
  /** Its rows in the summary after a deploy; ids, names and endpoints only, never secrets. */
  summary?(out: StepOutputs[Id], view: SummaryView): SummaryPart;
  /** Its lines in the monthly cost estimate, from the config alone (plan shows it before anything exists). */
  cost?(config: Config): CostLine[];
  /**
   * Read-only: what of this step's exists in AWS for this app and env (found
   * by deterministic name and ownership tags, never from the state alone, so
   * a resource a failed run left behind is found too), each with how to
   * remove it or why it stays. `destroy` calls it in reverse dependency
   * order: every step that depends on this one has finished removing first.
   */
  destroy?(ctx: StepContext<Id>, o: DestroyOptions): Promise<Teardown[]>;
  /**
   * Read-only: what an earlier run of this (still enabled) step made that the
   * config no longer asks for: a service's own task role once its permissions
   * are gone, a certificate for names the domain dropped. A deploy lists it
   * with the resources of removed keys, asks for it (or --yes), and removes
   * it after the pipeline, once nothing uses it. Called before the step runs
   * again: it may read the outputs of the run that made them.
   */
  retired?(ctx: StepContext<Id>): Promise<Teardown[]>;
}

/** A tag's value in an AWS tag list ({Key, Value}), if it has the key. */
export const tagOf = (tags: readonly { Key?: string; Value?: string }[] | undefined, key: string) => tags?.find((t) => t.Key === key)?.Value;

/** True when the tags say this app and env own the resource: the test before adopting or changing anything. */
export function ownedBy(ctx: Pick<StepContext, 'app' | 'env'>, tags: readonly { Key?: string; Value?: string }[] | undefined): boolean {
  return tagOf(tags, 'deploy-wizard:app') === ctx.app && tagOf(tags, 'deploy-wizard:env') === ctx.env;
}

/** The ownership tags every resource carries; destroy touches nothing without them. */
export function ownershipTags(ctx: Pick<StepContext, 'app' | 'env'>, step: StepId): { Key: string; Value: string }[] {
  return [
    { Key: 'deploy-wizard:app', Value: ctx.app },
    { Key: 'deploy-wizard:env', Value: ctx.env },
    { Key: 'deploy-wizard:step', Value: step },
  ];
}
