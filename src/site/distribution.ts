import { GetDistributionCommand, ListDistributionsCommand, ListOriginAccessControlsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-cloudfront';
import { distributionComment, originAccessControlName } from '../aws/names.js';
import { isError } from '../aws/not-found.js';
import type { StepContext } from '../pipeline/context.js';
import { ownedBy } from '../pipeline/step.js';
import { waitFor } from '../wait.js';

// The site's distribution and origin access control, found again on every run: shared by the site step, its
// teardown, and the domain's teardown (which removes the records pointing at the distribution).

/** Our origin access control's id, by its name (unique per account; OACs take no tags). */
export async function findOriginAccessControl(ctx: StepContext): Promise<string | undefined> {
  const name = originAccessControlName(ctx);
  let Marker: string | undefined;
  do {
    const page = (await ctx.aws.cloudfront.send(new ListOriginAccessControlsCommand({ Marker }))).OriginAccessControlList;
    const hit = page?.Items?.find((o) => o.Name === name);
    if (hit) return hit.Id!;
    Marker = page?.IsTruncated ? page.NextMarker : undefined;
  } while (Marker);
  return undefined;
}

/** Our distribution: the one from the last run, else by comment and then tags (a crash after the create, or lost state). */
export async function findDistribution(ctx: StepContext<'site'>): Promise<{ id: string; arn: string; domainName: string } | undefined> {
  const prev = ctx.previous();
  if (prev?.distributionId) {
    try {
      const d = (await ctx.aws.cloudfront.send(new GetDistributionCommand({ Id: prev.distributionId }))).Distribution;
      if (d) return { id: d.Id!, arn: d.ARN!, domainName: d.DomainName! };
    } catch (e) {
      if (!isError(e, 'NoSuchDistribution')) throw e;
    }
  }
  let Marker: string | undefined;
  do {
    const list = (await ctx.aws.cloudfront.send(new ListDistributionsCommand({ Marker }))).DistributionList;
    for (const d of list?.Items ?? []) {
      // AWS always lists the comment, which spares a tag read per foreign distribution; moto omits it, and then the tags decide alone.
      if (d.Comment !== undefined && d.Comment !== distributionComment(ctx)) continue;
      const tags = (await ctx.aws.cloudfront.send(new ListTagsForResourceCommand({ Resource: d.ARN }))).Tags?.Items;
      if (ownedBy(ctx, tags)) return { id: d.Id!, arn: d.ARN!, domainName: d.DomainName! };
    }
    Marker = list?.IsTruncated ? list.NextMarker : undefined;
  } while (Marker);
  return undefined;
}

export async function waitDeployed(ctx: StepContext, id: string): Promise<void> {
  await waitFor({
    stepId: 'site',
    what: `CloudFront distribution ${id}`,
    clock: ctx.clock,
    signal: ctx.signal,
    deadlineMs: 45 * 60_000,
    maxDelayMs: 30_000,
    typical: '5-15 min',
    onStatus: (l) => ctx.log.info(l),
    poll: async () => {
      const s = (await ctx.aws.cloudfront.send(new GetDistributionCommand({ Id: id }))).Distribution?.Status ?? 'unknown';
      return { done: s === 'Deployed', status: s };
    },
  });
}
