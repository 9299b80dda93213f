import { DeleteRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { StepContext } from '../../src/pipeline/context.js';
import type { Teardown } from '../../src/pipeline/step.js';
import { elbOwned, findTargetGroup, targetGroupTeardown } from '../../src/aws/load-balancer.js';
import { targetGroupName } from '../../src/aws/names.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { ownRules, parentListener } from './rules.js';

/** The preview's rules on the parent's listener (found by its tags), then its target groups; the parent's are never listed. */
export async function destroyPreviewRoutes(ctx: StepContext<'load-balancer'>): Promise<Teardown[]> {
  const p = ctx.preview;
  if (!p) return [];
  const items: Teardown[] = [];
  const lb = await parentListener(ctx, p).catch(() => undefined);
  if (lb) {
    for (const r of (await ownRules(ctx, lb.listener.ListenerArn!)).ours)
      items.push({
        resource: `listener rule ${r.Priority} (${p.host})`,
        remove: async () =>
          void (await unlessNotFound(ctx.aws.elbv2.send(new DeleteRuleCommand({ RuleArn: r.RuleArn })), 'RuleNotFound', 'RuleNotFoundException')),
      });
  }
  for (const s of Object.values(ctx.config.services).filter((x) => x.kind === 'web')) {
    const tg = await findTargetGroup(ctx, targetGroupName(ctx, s.name));
    if (!tg || !(await elbOwned(ctx, tg.TargetGroupArn!))) continue;
    items.push(targetGroupTeardown(ctx, tg));
  }
  return items;
}
