import type { StepContext } from '../../src/pipeline/context.js';
import type { StepCode } from '../../src/pipeline/manifest.js';
import type { PlanItem } from '../../src/pipeline/step.js';
import { ensureTargetGroup, findTargetGroup } from '../../src/aws/load-balancer.js';
import { targetGroupName } from '../../src/aws/names.js';
import { requirePreview } from '../../src/preview/preview-context.js';
import { ensurePreviewRules, ownRules, parentListener, previewRules } from './rules.js';

const preview = (ctx: StepContext) => requirePreview(ctx, 'preview routes');

const webSpecs = (ctx: StepContext) => Object.values(ctx.config.services).filter((s) => s.kind === 'web');

export const previewRoutes: StepCode<'load-balancer'> = {
  async inputs(ctx) {
    const net = ctx.output('network');
    return {
      web: webSpecs(ctx).map((s) => ({ name: s.name, port: s.port, routes: s.routes, health: s.healthCheckPath })),
      host: preview(ctx).host,
      vpc: net.vpcId,
    };
  },

  async plan(ctx) {
    const p = preview(ctx);
    const items: PlanItem[] = [];
    for (const s of webSpecs(ctx)) {
      const name = targetGroupName(ctx, s.name);
      items.push({ action: (await findTargetGroup(ctx, name)) ? 'keep' : 'create', resource: `target group ${name}`, detail: `${s.name}: port ${s.port}` });
    }
    for (const r of previewRules(webSpecs(ctx), {}))
      items.push({
        action: ctx.previous() ? 'keep' : 'create',
        resource: `route ${p.host}${r.path} → ${r.service}`,
        detail: `on ${p.parent}'s load balancer, priority 10000 and above`,
      });
    return items;
  },

  async apply(ctx) {
    const p = preview(ctx);
    const net = ctx.output('network');
    const lb = await parentListener(ctx, p);
    const targetGroups: Record<string, string> = {};
    for (const s of webSpecs(ctx)) targetGroups[s.name] = (await ensureTargetGroup(ctx, net, s)).TargetGroupArn!;
    const slot = await ensurePreviewRules(ctx, lb.listener.ListenerArn!, p.host, previewRules(webSpecs(ctx), targetGroups));
    return {
      loadBalancerArn: lb.arn,
      dnsName: lb.dnsName,
      url: `${lb.listener.Port === 443 ? 'https' : 'http'}://${p.host}`,
      targetGroups,
      retiredTargetGroups: [],
      listenerArn: lb.listener.ListenerArn!,
      ruleSlot: slot,
    };
  },

  async verify(ctx, out) {
    const want = previewRules(webSpecs(ctx), out.targetGroups).length;
    const { ours } = await ownRules(ctx, out.listenerArn!);
    return [{ name: `${want} route(s) for ${preview(ctx).host}`, ok: ours.length === want, detail: `${ours.length} found` }];
  },
};
