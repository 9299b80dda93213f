import { loadBalancerOf } from '../../src/aws/load-balancer.js';
import {
  AssociateWebACLCommand,
  CreateWebACLCommand,
  GetWebACLCommand,
  GetWebACLForResourceCommand,
  ListTagsForResourceCommand,
  ListWebACLsCommand,
  UpdateWebACLCommand,
  type Rule,
  type WAFV2Client,
  type WebACL,
} from '@aws-sdk/client-wafv2';
import { webAclName } from '../../src/aws/names.js';
import { isError } from '../../src/aws/not-found.js';
import { WAF_RULE_GROUPS } from '../../src/config/edge-schema.js';
import type { Config } from '../../src/config/schema.js';
import type { StepContext } from '../../src/pipeline/context.js';
import { StepError } from '../../src/errors.js';
import { ownedBy, ownershipTags, type Check } from '../../src/pipeline/step.js';
import { subsetEqual } from '../../src/subset-equal.js';
import { waitFor } from '../../src/wait.js';
import type { StepCode } from '../../src/pipeline/manifest.js';
import { hasCdn } from '../../src/config/features.js';

export interface WafOutput {
  arn: string;
  id: string;
  name: string;
  scope: 'REGIONAL' | 'CLOUDFRONT';
  /** The load balancer it is associated with (REGIONAL); a CLOUDFRONT ACL is named in the distribution instead. */
  associatedWith?: string;
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    waf: WafOutput;
  }
}

/** With a site, the firewall sits in front of the CDN, which is where every request arrives; else in front of the load balancer. */
export const wafScope = (config: Config): 'REGIONAL' | 'CLOUDFRONT' => (hasCdn(config) ? 'CLOUDFRONT' : 'REGIONAL');
const client = (ctx: StepContext): WAFV2Client => (wafScope(ctx.config) === 'CLOUDFRONT' ? ctx.aws.wafv2Edge : ctx.aws.wafv2);
const visibility = (metric: string) => ({ SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: metric });

function managed(name: string, priority: number, count: boolean, overrides: string[] = []): Rule {
  return {
    Name: `AWS-${name}`,
    Priority: priority,
    Statement: {
      ManagedRuleGroupStatement: {
        VendorName: 'AWS',
        Name: name,
        ...(overrides.length ? { RuleActionOverrides: overrides.map((n) => ({ Name: n, ActionToUse: { Count: {} } })) } : {}),
      },
    },
    OverrideAction: count ? { Count: {} } : { None: {} },
    VisibilityConfig: visibility(`AWS-${name}`),
  };
}

/** The rules: the named AWS managed groups in the order written (by default common and known-bad-inputs), then the per-IP rate limit. */
export function wafRules(config: Config): Rule[] {
  const waf = config.edge!.waf!;
  const count = waf.mode === 'count';
  const groups = waf.rules.map((r) => (typeof r === 'string' ? { name: r, count } : { name: r.name, count: r.mode === 'count' }));
  return [
    // The common set blocks request bodies over 8 KB (SizeRestrictions_BODY), which breaks uploads and large JSON
    // posts of an ordinary API: that one rule only counts.
    ...groups.map((g, i) => managed(WAF_RULE_GROUPS[g.name].group, i, g.count, g.name === 'common' ? ['SizeRestrictions_BODY'] : [])),
    {
      Name: 'RateLimitPerIp',
      Priority: groups.length,
      Statement: { RateBasedStatement: { Limit: waf.rateLimitPerIp, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
      Action: count ? { Count: {} } : { Block: {} },
      VisibilityConfig: visibility('RateLimitPerIp'),
    },
  ];
}

const wantAcl = (ctx: StepContext) => ({
  DefaultAction: { Allow: {} },
  Rules: wafRules(ctx.config),
  VisibilityConfig: visibility(webAclName(ctx)),
  Description: `deploy-wizard ${ctx.app}/${ctx.env}`,
});

/** Our web ACL by name in this scope, with its lock token; a same-named ACL without our tags is refused. */
async function findAcl(ctx: StepContext): Promise<{ acl: WebACL; lockToken: string } | undefined> {
  const waf = client(ctx);
  const Scope = wafScope(ctx.config);
  const name = webAclName(ctx);
  let NextMarker: string | undefined;
  do {
    const page = await waf.send(new ListWebACLsCommand({ Scope, Limit: 100, NextMarker }));
    const hit = (page.WebACLs ?? []).find((a) => a.Name === name && (Scope === 'CLOUDFRONT' ? /:global\//.test(a.ARN ?? '') : /:regional\//.test(a.ARN ?? '')));
    if (hit) {
      const tags = (await waf.send(new ListTagsForResourceCommand({ ResourceARN: hit.ARN }))).TagInfoForResource?.TagList;
      if (!ownedBy(ctx, tags)) {
        throw new StepError('waf', `adopt web ACL: ${name} (${Scope}) exists but was not created by deploy-wizard for ${ctx.app}/${ctx.env}`, {
          hint: `Delete or rename it, or tag it deploy-wizard:app=${ctx.app} and deploy-wizard:env=${ctx.env} to let the wizard manage it.`,
        });
      }
      const got = await waf.send(new GetWebACLCommand({ Scope, Name: name, Id: hit.Id }));
      return { acl: got.WebACL!, lockToken: got.LockToken! };
    }
    NextMarker = page.WebACLs?.length ? page.NextMarker : undefined;
  } while (NextMarker);
  return undefined;
}

const drifted = (ctx: StepContext, acl: WebACL) => !subsetEqual(acl, wantAcl(ctx));

async function ensureAcl(ctx: StepContext): Promise<WebACL> {
  const waf = client(ctx);
  const Scope = wafScope(ctx.config);
  const found = await findAcl(ctx);
  if (!found) {
    // No idempotency token here; the name is unique per scope, so a crash after the create is found by name.
    ctx.log.info(`creating web ACL ${webAclName(ctx)} (${Scope})`);
    try {
      const s = (await waf.send(new CreateWebACLCommand({ Name: webAclName(ctx), Scope, ...wantAcl(ctx), Tags: ownershipTags(ctx, 'waf') }))).Summary!;
      return { Name: s.Name, Id: s.Id, ARN: s.ARN } as WebACL;
    } catch (e) {
      if (!isError(e, 'WAFDuplicateItemException')) throw e;
      return (await findAcl(ctx))!.acl;
    }
  }
  if (drifted(ctx, found.acl)) {
    ctx.log.info(`updating web ACL ${webAclName(ctx)}`);
    await waf.send(new UpdateWebACLCommand({ Name: found.acl.Name, Id: found.acl.Id, Scope, LockToken: found.lockToken, ...wantAcl(ctx) }));
  }
  return found.acl;
}

/** A new web ACL can take a while before a load balancer accepts it (WAFUnavailableEntityException): retried, not failed. */
async function associate(ctx: StepContext, aclArn: string, lbArn: string): Promise<void> {
  const current = (await ctx.aws.wafv2.send(new GetWebACLForResourceCommand({ ResourceArn: lbArn }))).WebACL?.ARN;
  if (current === aclArn) return;
  await waitFor({
    stepId: 'waf',
    what: 'associate the web ACL with the load balancer',
    clock: ctx.clock,
    signal: ctx.signal,
    deadlineMs: 5 * 60_000,
    firstDelayMs: 5_000,
    poll: async () => {
      try {
        await ctx.aws.wafv2.send(new AssociateWebACLCommand({ WebACLArn: aclArn, ResourceArn: lbArn }));
        return { done: true, status: 'associated' };
      } catch (e) {
        if (isError(e, 'WAFUnavailableEntityException')) return { done: false, status: 'web ACL not available yet' };
        throw e;
      }
    },
  });
}

const lbArnOf = (ctx: StepContext) => loadBalancerOf(ctx)?.loadBalancerArn;

export const waf: StepCode<'waf'> = {
  async inputs(ctx) {
    return { scope: wafScope(ctx.config), acl: wantAcl(ctx), lb: wafScope(ctx.config) === 'REGIONAL' ? (lbArnOf(ctx) ?? null) : null };
  },

  async plan(ctx) {
    const found = await findAcl(ctx);
    const scope = wafScope(ctx.config);
    const what = `WAF web ACL ${webAclName(ctx)} (${scope === 'CLOUDFRONT' ? 'CloudFront' : 'load balancer'})`;
    const detail = `AWS common + known bad inputs, ${ctx.config.edge!.waf!.rateLimitPerIp} requests/5 min per IP, ${ctx.config.edge!.waf!.mode}`;
    if (!found) return [{ action: 'create', resource: what, detail }];
    return [{ action: drifted(ctx, found.acl) ? 'update' : 'keep', resource: what, detail }];
  },

  async apply(ctx) {
    const acl = await ensureAcl(ctx);
    const scope = wafScope(ctx.config);
    const out: WafOutput = { arn: acl.ARN!, id: acl.Id!, name: acl.Name!, scope };
    if (scope === 'REGIONAL') {
      const lb = lbArnOf(ctx);
      if (!lb) throw new StepError('waf', 'associate web ACL: the app has no load balancer', { hint: 'Add a web service, or remove edge.waf.' });
      await associate(ctx, out.arn, lb);
      out.associatedWith = lb;
    }
    return out;
  },

  async verify(ctx, out) {
    const checks: Check[] = [];
    try {
      const got = await client(ctx).send(new GetWebACLCommand({ Scope: out.scope, Name: out.name, Id: out.id }));
      checks.push({ name: `web ACL ${out.name}`, ok: !!got.WebACL && !drifted(ctx, got.WebACL), detail: got.WebACL ? undefined : 'missing' });
      if (out.associatedWith) {
        const current = (await ctx.aws.wafv2.send(new GetWebACLForResourceCommand({ ResourceArn: out.associatedWith }))).WebACL?.ARN;
        checks.push({ name: 'web ACL on the load balancer', ok: current === out.arn, detail: current === out.arn ? undefined : `has ${current ?? 'none'}` });
      }
    } catch (e) {
      checks.push({ name: `web ACL ${out.name}`, ok: false, detail: (e as Error).message });
    }
    return checks;
  },

  summary(out) {
    return { rows: [['Firewall', `${out.name} (${out.scope === 'CLOUDFRONT' ? 'on the CDN' : 'on the load balancer'})`]] };
  },
};
