import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeListenersCommand,
  ModifyRuleCommand,
  type Listener,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { StepContext } from '../../src/pipeline/context.js';
import type { ServiceSpec } from '../../src/config/schema.js';
import { StepError } from '../../src/errors.js';
import { ownershipTags } from '../../src/pipeline/step.js';
import { conditions, elbOwned, findLoadBalancer, listRules, ownedArns, ruleKey } from '../../src/aws/load-balancer.js';
import { isError } from '../../src/aws/not-found.js';
import type { PreviewOf } from '../../src/preview/preview-of.js';

/**
 * Previews' rules sit at 10000 and above, ten to a preview: the parent keeps its routes at 1-95 (a listener
 * takes 100 rules), so neither ever moves the other's. ALB evaluates rules from the lowest priority, and a
 * preview's host condition matches only its own name, so the band's order among previews does not matter.
 */
export const PREVIEW_BAND = 10_000;
export const SLOT_RULES = 10;
/** ALB priorities go up to 50000. */
const MAX_SLOT = Math.floor((50_000 - PREVIEW_BAND) / SLOT_RULES) - 1;

export interface PreviewRule {
  service: string;
  path: string;
  targetGroupArn: string;
}

/** One rule per route of each web service, under the preview's host; "/*" last, so the specific paths win. */
export function previewRules(web: ServiceSpec[], tgs: Record<string, string>): PreviewRule[] {
  const all = web.flatMap((s) => s.routes.map((path) => ({ service: s.name, path, targetGroupArn: tgs[s.name]! })));
  return [...all.filter((r) => r.path !== '/*'), ...all.filter((r) => r.path === '/*')];
}

/** The parent's load balancer and the listener its routes live on (443 when it has one, else 80). */
export async function parentListener(ctx: StepContext, p: PreviewOf): Promise<{ arn: string; dnsName: string; listener: Listener }> {
  const parent = { app: ctx.app, env: p.parent, aws: ctx.aws };
  const lb = await findLoadBalancer(parent);
  if (!lb || !(await elbOwned(parent, lb.LoadBalancerArn!)))
    throw new StepError('load-balancer', `find load balancer: ${p.parent} has no load balancer of deploy-wizard's`, {
      hint: `Deploy ${p.parent} first (deploy-wizard deploy --env ${p.parent}); previews answer on its load balancer.`,
    });
  const listeners = (await ctx.aws.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? [];
  const listener = listeners.find((l) => l.Port === 443) ?? listeners.find((l) => l.Port === 80);
  if (!listener)
    throw new StepError('load-balancer', `find listener: ${p.parent}'s load balancer has no listener on 443 or 80`, { hint: `Deploy ${p.parent} again.` });
  return { arn: lb.LoadBalancerArn!, dnsName: lb.DNSName!, listener };
}

/** This preview's rules on the listener: those carrying its tags (its env is its own). */
export async function ownRules(ctx: StepContext, listenerArn: string): Promise<{ all: Rule[]; ours: Rule[] }> {
  const all = await listRules(ctx, listenerArn);
  const ours = await ownedArns(
    ctx,
    all.map((r) => r.RuleArn!),
  );
  return { all, ours: all.filter((r) => ours.has(r.RuleArn!)) };
}

const slotOf = (priority: number) => Math.floor((priority - PREVIEW_BAND) / SLOT_RULES);

/**
 * Converges the preview's rules in its slot: kept where it has rules already, else the lowest slot whose ten
 * priorities are all free. Two previews that pick the same slot at once: the second's CreateRule answers
 * PriorityInUse, and it moves on to the next free slot.
 */
export async function ensurePreviewRules(ctx: StepContext, listenerArn: string, host: string, want: PreviewRule[]): Promise<number> {
  if (want.length > SLOT_RULES)
    throw new StepError('load-balancer', `route ${host}: ${want.length} routes; a preview takes at most ${SLOT_RULES}`, {
      hint: 'List fewer services in previews.services, or fewer routes on them.',
    });
  for (let attempt = 0; ; attempt++) {
    const { all, ours } = await ownRules(ctx, listenerArn);
    const taken = new Set(all.filter((r) => !ours.includes(r)).map((r) => Number(r.Priority)));
    let slot = ours.length ? slotOf(Number(ours[0]!.Priority)) : -1;
    if (slot < 0 || ours.some((r) => slotOf(Number(r.Priority)) !== slot)) {
      slot = 0;
      while (slot <= MAX_SLOT && [...Array(SLOT_RULES).keys()].some((i) => taken.has(PREVIEW_BAND + slot * SLOT_RULES + i))) slot++;
      if (slot > MAX_SLOT) throw new StepError('load-balancer', `route ${host}: no free priorities left for another preview on this listener`);
    }
    try {
      await converge(ctx, listenerArn, host, want, slot, ours);
      return slot;
    } catch (e) {
      if (!isError(e, 'PriorityInUse', 'PriorityInUseException') || attempt >= 5) throw e;
      ctx.log.info(`another preview took rule slot ${slot} at the same moment; trying the next free one`);
    }
  }
}

async function converge(ctx: StepContext, listenerArn: string, host: string, want: PreviewRule[], slot: number, ours: Rule[]): Promise<void> {
  const keep = new Set<string>();
  for (const [i, r] of want.entries()) {
    const priority = PREVIEW_BAND + slot * SLOT_RULES + i;
    const conds = conditions({ path: r.path, hosts: [host] });
    const actions = [{ Type: 'forward' as const, TargetGroupArn: r.targetGroupArn }];
    const have = ours.find((x) => Number(x.Priority) === priority);
    if (!have) {
      ctx.log.info(`routing ${host}${r.path} to ${r.service} (rule ${priority})`);
      const res = await ctx.aws.elbv2.send(
        new CreateRuleCommand({ ListenerArn: listenerArn, Priority: priority, Conditions: conds, Actions: actions, Tags: ownershipTags(ctx, 'load-balancer') }),
      );
      keep.add(res.Rules![0]!.RuleArn!);
    } else {
      keep.add(have.RuleArn!);
      if (ruleKey(have.Conditions, have.Actions) !== ruleKey(conds, actions)) {
        ctx.log.info(`routing ${host}${r.path} to ${r.service} (rule ${priority}, changed)`);
        await ctx.aws.elbv2.send(new ModifyRuleCommand({ RuleArn: have.RuleArn, Conditions: conds, Actions: actions }));
      }
    }
  }
  for (const extra of ours.filter((r) => !keep.has(r.RuleArn!))) {
    ctx.log.info(`removing listener rule ${extra.Priority}`);
    await ctx.aws.elbv2.send(new DeleteRuleCommand({ RuleArn: extra.RuleArn }));
  }
}
