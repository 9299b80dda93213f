import {
  DeleteWebACLCommand,
  DisassociateWebACLCommand,
  GetWebACLCommand,
  GetWebACLForResourceCommand,
  ListTagsForResourceCommand,
  ListWebACLsCommand,
  type WAFV2Client,
} from '@aws-sdk/client-wafv2';
import type { StepContext } from '../../src/pipeline/context.js';
import { ownedBy, type Teardown } from '../../src/pipeline/step.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { retryWhileInUse } from '../../src/aws/retry-in-use.js';
import { findLoadBalancer } from '../../src/aws/load-balancer.js';
import { webAclName } from '../../src/aws/names.js';

/**
 * The web ACL in either scope (the config may have moved between them): off
 * the load balancer first; a CloudFront one is freed by the site's teardown,
 * which runs before this. Each delete takes a fresh lock token.
 */
export async function destroyWaf(ctx: StepContext): Promise<Teardown[]> {
  const items: Teardown[] = [];
  const name = webAclName(ctx);
  const scopes: ['REGIONAL' | 'CLOUDFRONT', WAFV2Client][] = [
    ['REGIONAL', ctx.aws.wafv2],
    ['CLOUDFRONT', ctx.aws.wafv2Edge],
  ];
  for (const [Scope, waf] of scopes) {
    let NextMarker: string | undefined;
    do {
      const page = await waf.send(new ListWebACLsCommand({ Scope, Limit: 100, NextMarker }));
      for (const a of page.WebACLs ?? []) {
        if (a.Name !== name || !(Scope === 'CLOUDFRONT' ? /:global\//.test(a.ARN ?? '') : /:regional\//.test(a.ARN ?? ''))) continue;
        const tags = (await waf.send(new ListTagsForResourceCommand({ ResourceARN: a.ARN }))).TagInfoForResource?.TagList;
        if (!ownedBy(ctx, tags)) continue;
        items.push({
          resource: `WAF web ACL ${name} (${Scope.toLowerCase()})`,
          remove: async () => {
            if (Scope === 'REGIONAL') {
              const lb = await findLoadBalancer(ctx);
              const on =
                lb && (await unlessNotFound(waf.send(new GetWebACLForResourceCommand({ ResourceArn: lb.LoadBalancerArn })), 'WAFNonexistentItemException'));
              if (lb && on?.WebACL?.ARN === a.ARN) await waf.send(new DisassociateWebACLCommand({ ResourceArn: lb.LoadBalancerArn }));
            }
            await retryWhileInUse(ctx, `web ACL ${name}`, ['WAFAssociatedItemException', 'WAFOptimisticLockException'], async () => {
              const got = await unlessNotFound(waf.send(new GetWebACLCommand({ Scope, Name: name, Id: a.Id })), 'WAFNonexistentItemException');
              if (got) await waf.send(new DeleteWebACLCommand({ Scope, Name: name, Id: a.Id, LockToken: got.LockToken }));
            });
          },
        });
      }
      NextMarker = page.WebACLs?.length ? page.NextMarker : undefined;
    } while (NextMarker);
  }
  return items;
}
