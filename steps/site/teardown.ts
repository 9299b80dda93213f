import {
  DeleteDistributionCommand,
  DeleteOriginAccessControlCommand,
  GetDistributionConfigCommand,
  GetOriginAccessControlCommand,
  UpdateDistributionCommand,
} from '@aws-sdk/client-cloudfront';
import type { StepContext } from '../../src/pipeline/context.js';
import { type Teardown } from '../../src/pipeline/step.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { retryWhileInUse } from '../../src/aws/retry-in-use.js';
import { deleteBucket, ownedBucketsOf } from '../../src/aws/bucket-teardown.js';
import { siteBucketName } from '../../src/aws/names.js';
import { findDistribution, findOriginAccessControl, waitDeployed } from '../../src/site/distribution.js';
import { deleteSpaFunction, spaFunctionState } from '../../src/site/spa-function.js';
import { spaFunctionName } from '../../src/aws/names.js';

const NO_DIST = ['NoSuchDistribution'];

/**
 * The distribution (disabled, deployed as disabled, then deleted: CloudFront
 * deletes only a disabled distribution, with the ETag of its latest config),
 * then the origin access control it used, then the site bucket: a copy of
 * site.dir, so not data.
 */
export async function destroySite(ctx: StepContext<'site'>): Promise<Teardown[]> {
  const items: Teardown[] = [];
  const dist = await findDistribution(ctx);
  if (dist) {
    items.push({
      resource: `CloudFront distribution ${dist.id} (${dist.domainName})`,
      remove: async () => {
        const got = await unlessNotFound(ctx.aws.cloudfront.send(new GetDistributionConfigCommand({ Id: dist.id })), ...NO_DIST);
        if (!got) return;
        let etag = got.ETag;
        if (got.DistributionConfig?.Enabled) {
          ctx.log.info(`disabling CloudFront distribution ${dist.id} (it can be deleted once that is deployed)`);
          etag = (
            await ctx.aws.cloudfront.send(
              new UpdateDistributionCommand({ Id: dist.id, IfMatch: etag, DistributionConfig: { ...got.DistributionConfig, Enabled: false } }),
            )
          ).ETag;
        }
        await waitDeployed(ctx, dist.id);
        etag = (await ctx.aws.cloudfront.send(new GetDistributionConfigCommand({ Id: dist.id }))).ETag ?? etag;
        await unlessNotFound(ctx.aws.cloudfront.send(new DeleteDistributionCommand({ Id: dist.id, IfMatch: etag })), ...NO_DIST);
      },
    });
  }
  const oac = await findOriginAccessControl(ctx);
  if (oac) {
    items.push({
      resource: `origin access control ${oac}`,
      remove: () =>
        retryWhileInUse(ctx, `origin access control ${oac}`, ['OriginAccessControlInUse'], async () => {
          const got = await unlessNotFound(ctx.aws.cloudfront.send(new GetOriginAccessControlCommand({ Id: oac })), 'NoSuchOriginAccessControl');
          if (got) await ctx.aws.cloudfront.send(new DeleteOriginAccessControlCommand({ Id: oac, IfMatch: got.ETag }));
        }),
    });
  }
  // Deleted once the distribution that used it is gone (FunctionInUse until then).
  const fn = await spaFunctionState(ctx);
  if (fn === 'current' || fn === 'stale')
    items.push({ resource: `CloudFront function ${spaFunctionName(ctx)} (the single-page fallback)`, remove: () => deleteSpaFunction(ctx).then(() => {}) });
  const bucket = siteBucketName(ctx);
  for (const name of await ownedBucketsOf(ctx, 'site', (n) => n === bucket))
    items.push({ resource: `S3 bucket ${name} (the site's files)`, remove: () => deleteBucket(ctx, name) });
  return items;
}
