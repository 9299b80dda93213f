import { randomUUID } from 'node:crypto';
import type { StepContext } from '../../src/pipeline/context.js';

/**
 * One pass of the convergence, for the plan (dry run: each change is listed and nothing is sent) or for the
 * deploy (each change is logged and made). Plan and apply share the code, so the plan says what apply does.
 */
export class Run {
  readonly changes: string[] = [];
  constructor(
    readonly ctx: StepContext<'vpc'>,
    readonly dryRun: boolean,
  ) {}

  /** Records the change and, unless this is a dry run, makes it; undefined in a dry run. */
  async change<T>(what: string, make: () => Promise<T>): Promise<T | undefined> {
    this.changes.push(what);
    if (this.dryRun) return undefined;
    this.ctx.log.info(what);
    return make();
  }
}

/** The tags of a resource the vpc step makes: ownership, a Name for the console, and what finds it again. */
export function tagsFor(ctx: StepContext, name: string, extra: Record<string, string> = {}) {
  return [
    { Key: 'deploy-wizard:app', Value: ctx.app },
    { Key: 'deploy-wizard:env', Value: ctx.env },
    { Key: 'deploy-wizard:step', Value: 'vpc' },
    { Key: 'Name', Value: `${ctx.app}-${ctx.env}${name ? `-${name}` : ''}` },
    ...Object.entries(extra).map(([Key, Value]) => ({ Key, Value })),
  ];
}

/** "us-east-1a" → "a": subnet and route table names carry the zone's letter. */
export const azLetter = (az: string) => az.slice(-1);

/**
 * A create under a client token recorded first: a crash right after the call is followed by the same token, so
 * EC2 answers with the resource it made instead of a second one. The token served its one create and is
 * forgotten after it: a resource made again later (after a destroy) needs a fresh one.
 */
export async function withClientToken<T>(ctx: StepContext, key: string, create: (token: string) => Promise<T>): Promise<T> {
  const token = String(ctx.intents.get(key)?.clientToken ?? randomUUID());
  await ctx.intents.record(key, { clientToken: token });
  const out = await create(token);
  await ctx.intents.clear(key);
  return out;
}
