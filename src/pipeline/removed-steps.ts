import type { Session } from '../session.js';
import type { StateFile } from '../state/state-file.js';
import type { StepContext } from './context.js';
import { describeAwsError } from '../aws/describe-error.js';
import type { DestroyOptions, Step, Teardown } from './step.js';
import { teardownOrder } from './teardown-order.js';

/**
 * Steps whose resources a deploy removes when their key leaves the config:
 * they hold nothing of the user's (a firewall, alarms, a budget, the load
 * balancer once the last web service is gone, the static site's CDN and its
 * copy of site.dir, a domain's records and certificates, the internal services'
 * namespace), so removing the key is the whole request. Steps that hold data
 * (a database, buckets, a user pool) are not removed by a deploy; the volumes'
 * step is, because its teardown keeps the file system (with the files) and
 * removes only what connects it: mount targets and access points.
 */
export const REMOVED_ON_DEPLOY = new Set(['waf', 'alarms', 'budget', 'load-balancer', 'site', 'dns', 'certificate', 'service-connect', 'efs']);

type RemovableStep = Step & Required<Pick<Step, 'destroy'>>;

/** The steps the state says ran, that this config no longer asks for and a deploy removes; in teardown order. */
async function removedSteps(session: Pick<Session, 'steps' | 'allSteps'>, state: StateFile): Promise<RemovableStep[]> {
  const enabled = new Set(session.steps.map((s) => s.id));
  const gone = Object.entries(state.steps)
    .filter(([id, s]) => REMOVED_ON_DEPLOY.has(id) && !enabled.has(id as never) && s.status !== 'pending')
    .map(([id]) => id);
  // Loaded only when there is one: every step's module (and SDK package) comes with it.
  if (!gone.length) return [];
  const all = await session.allSteps();
  return teardownOrder(all.filter((s): s is RemovableStep => gone.includes(s.id) && !!s.destroy));
}

/** A deploy never deletes data: what a teardown would keep stays. */
export const REMOVAL_OPTIONS: DestroyOptions = { deleteData: false, skipFinalSnapshot: false, stamp: 'deploy' };

export const removalLines = (found: { step: string; items: Teardown[] }[]) =>
  found.flatMap(({ step, items }) => items.map((t) => (t.keep ? `${step}: = keep ${t.resource} (${t.keep})` : `${step}: - delete ${t.resource}`)));

/** What a deploy removes: every resource of a step whose key left the config (`whole`), or what a step retired. */
export interface Removal {
  step: Step;
  items: Teardown[];
  /** The whole step left the config: its state entry goes too, and its resources are listed again when removed. */
  whole: boolean;
}

/**
 * Read-only, before the pipeline: what the enabled steps retired (listed now, while their earlier outputs still
 * say what they made) and what the removed steps hold, in teardown order.
 */
export async function findRemovals(
  session: Pick<Session, 'steps' | 'allSteps'>,
  state: StateFile,
  contextFor: (step: Step) => StepContext,
): Promise<Removal[]> {
  const out: Removal[] = [];
  const check = <T>(step: Step, p: Promise<T>) => p.catch((e: unknown) => Promise.reject(describeAwsError(e, `check ${step.id}`)));
  for (const step of await removedSteps(session, state))
    out.push({ step, items: await check(step, step.destroy(contextFor(step), REMOVAL_OPTIONS)), whole: true });
  for (const step of teardownOrder(session.steps)) {
    if (!step.retired || state.steps[step.id]?.status !== 'done') continue;
    const items = await check(step, step.retired(contextFor(step)));
    if (items.length) out.push({ step, items, whole: false });
  }
  return out;
}

/**
 * Removes what goes and does what is asked of what stays, one after the other (each waits for what uses it).
 * A failure names the resource: `<what>: <resource>`.
 */
export async function runTeardowns(items: Teardown[], what: string, on: { deleted: (t: Teardown) => void; kept?: (t: Teardown) => void }): Promise<void> {
  for (const t of items) {
    try {
      if (t.keep) {
        await t.alsoDo?.();
        on.kept?.(t);
      } else if (t.remove) {
        await t.remove();
        on.deleted(t);
      }
    } catch (e) {
      throw describeAwsError(e, `${what}: ${t.resource}`);
    }
  }
}
