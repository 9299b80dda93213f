import { describe, expect, it } from 'vitest';
import { CreateWebACLCommand, GetWebACLCommand, GetWebACLForResourceCommand } from '@aws-sdk/client-wafv2';
import { waf } from '../../steps/waf/apply.js';
import { destroyWaf } from '../../steps/waf/teardown.js';
import { manifest } from '../../steps/waf/manifest.js';
import { webAclName } from '../../src/aws/names.js';
import { StepError } from '../../src/errors.js';
import { withLoadBalancer } from '../helpers/with-load-balancer.js';
import { MUTATING, stepContext } from '../helpers/step-context.js';
import { configProblems } from '../helpers/config-problems.js';
import { RATE_RULE_WCU, WAF_RULE_GROUPS, WAF_WCU_INCLUDED } from '../../src/config/edge-schema.js';

describe('waf', () => {
  it('makes the web ACL with the three rules, puts it on the load balancer, changes nothing on a re-run, updates a changed rate limit in place, and its teardown removes it', async () => {
    const calls: string[] = [];
    const { ctx, lb } = await withLoadBalancer({ edge: { waf: { rateLimitPerIp: 2000 } } }, { onCall: (c) => void (c.ok && calls.push(c.command)) });
    const lbArn = lb.LoadBalancerArn!;
    expect(manifest.enabled!(ctx.config)).toBe(true);
    expect(await waf.plan(ctx)).toMatchObject([{ action: 'create', resource: `WAF web ACL ${webAclName(ctx)} (load balancer)` }]);
    const out = await waf.apply(ctx);
    expect(out).toMatchObject({ name: webAclName(ctx), scope: 'REGIONAL', associatedWith: lbArn });
    const acl = (await ctx.aws.wafv2.send(new GetWebACLCommand({ Scope: 'REGIONAL', Name: out.name, Id: out.id }))).WebACL!;
    expect(acl.Rules!.map((r) => r.Name)).toEqual(['AWS-AWSManagedRulesCommonRuleSet', 'AWS-AWSManagedRulesKnownBadInputsRuleSet', 'RateLimitPerIp']);
    expect(acl.Rules![2]!.Statement!.RateBasedStatement!.Limit).toBe(2000);
    expect((await ctx.aws.wafv2.send(new GetWebACLForResourceCommand({ ResourceArn: lbArn }))).WebACL?.ARN).toBe(out.arn);
    expect((await waf.verify(ctx, out)).every((c) => c.ok)).toBe(true);

    calls.length = 0;
    expect(await waf.plan(ctx)).toMatchObject([{ action: 'keep' }]);
    await waf.apply(ctx);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);

    ctx.config = { ...ctx.config, edge: { ...ctx.config.edge, waf: { ...ctx.config.edge!.waf!, rateLimitPerIp: 500 } } };
    expect(await waf.plan(ctx)).toMatchObject([{ action: 'update' }]);
    expect((await waf.verify(ctx, out)).find((c) => c.name === `web ACL ${out.name}`)?.ok).toBe(false);
    calls.length = 0;
    const again = await waf.apply(ctx);
    expect(again.arn).toBe(out.arn);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual(['UpdateWebACL']);
    const updated = (await ctx.aws.wafv2.send(new GetWebACLCommand({ Scope: 'REGIONAL', Name: out.name, Id: out.id }))).WebACL!;
    expect(updated.Rules![2]!.Statement!.RateBasedStatement!.Limit).toBe(500);

    const items = await destroyWaf(ctx);
    expect(items.map((i) => i.resource)).toEqual([`WAF web ACL ${out.name} (regional)`]);
    for (const i of items) await i.remove!();
    expect(await destroyWaf(ctx)).toEqual([]);
  });

  it('never adopts a web ACL of the same name that is not ours', async () => {
    const { ctx } = stepContext({ edge: { waf: {} } });
    await ctx.aws.wafv2.send(
      new CreateWebACLCommand({
        Name: webAclName(ctx),
        Scope: 'REGIONAL',
        DefaultAction: { Allow: {} },
        VisibilityConfig: { SampledRequestsEnabled: false, CloudWatchMetricsEnabled: false, MetricName: 'x' },
      }),
    );
    const err = await waf.plan(ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect((err as StepError).message).toContain('exists but was not created by deploy-wizard');
  });

  it('runs the named managed rule groups in the order written, each in its own mode, within the capacity a web ACL includes; a removed one converges', async () => {
    const { ctx } = await withLoadBalancer({
      edge: { waf: { rateLimitPerIp: 1000, rules: ['sql-injection', { name: 'common', mode: 'count' }, 'ip-reputation'] } },
    });
    const out = await waf.apply(ctx);
    const acl = (await ctx.aws.wafv2.send(new GetWebACLCommand({ Scope: 'REGIONAL', Name: out.name, Id: out.id }))).WebACL!;
    expect(acl.Rules!.map((r) => [r.Name, r.Priority, Object.keys(r.OverrideAction ?? r.Action ?? {})[0]])).toEqual([
      ['AWS-AWSManagedRulesSQLiRuleSet', 0, 'None'],
      ['AWS-AWSManagedRulesCommonRuleSet', 1, 'Count'],
      ['AWS-AWSManagedRulesAmazonIpReputationList', 2, 'None'],
      ['RateLimitPerIp', 3, 'Block'],
    ]);
    ctx.config = { ...ctx.config, edge: { ...ctx.config.edge, waf: { ...ctx.config.edge!.waf!, rules: ['sql-injection'] } } };
    expect((await waf.verify(ctx, out)).every((c) => c.ok)).toBe(false);
    await waf.apply(ctx);
    const after = (await ctx.aws.wafv2.send(new GetWebACLCommand({ Scope: 'REGIONAL', Name: out.name, Id: out.id }))).WebACL!;
    expect(after.Rules!.map((r) => r.Name)).toEqual(['AWS-AWSManagedRulesSQLiRuleSet', 'RateLimitPerIp']);
    for (const i of await destroyWaf(ctx)) await i.remove!();
  });

  it('names an unknown group or one listed twice; every group together stays within the capacity a web ACL includes', () => {
    expect(configProblems({ edge: { waf: { rules: ['common', 'wordpress'] } } })).toContain(
      'edge.waf.rules[1]: none of the accepted forms matched (a managed rule group: common, known-bad-inputs, sql-injection, linux, php, ip-reputation, anonymous-ip',
    );
    expect(configProblems({ edge: { waf: { rules: ['common', 'linux', 'common'] } } })).toBe('edge.waf.rules[2]: common is listed twice');
    const all = Object.values(WAF_RULE_GROUPS).reduce((t, g) => t + g.wcu, RATE_RULE_WCU);
    expect(all).toBe(1477);
    expect(all).toBeLessThanOrEqual(WAF_WCU_INCLUDED);
  });
});
