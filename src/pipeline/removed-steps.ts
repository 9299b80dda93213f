import type { Session } from '../session.js';
import type { StateFile } from '../state/state-file.js';
import type { DestroyOptions, Step, Teardown } from './step.js';
import { teardownOrder } from './teardown-order.js';

/**
 * Steps whose resources a deploy removes when their key leaves the config:
 * they hold nothing of the user's (a firewall, alarms, a budget, the load
 * balancer once the last web service is gone), so removing the key is the
 * whole request. Steps that hold data (a database, buckets, a user pool) or
 * that others depend on (a domain's certificate under the listeners, the CDN
 * in front of the site) are not removed by a deploy yet.
 */
export const REMOVED_ON_DEPLOY = new Set(['waf', 'alarms', 'budget', 'load-balancer']);

export type RemovableStep = Step & Required<Pick<Step, 'destroy'>>;

/** The steps the state says ran, that this config no longer asks for and a deploy removes; in teardown order. */
export async function removedSteps(session: Pick<Session, 'steps' | 'allSteps'>, state: StateFile): Promise<RemovableStep[]> {
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
