import { arnIn, defineStep } from '../../src/pipeline/manifest.js';
import { OWNED_BUCKET_CALLS } from '../../src/aws/grants.js';
import { siteBucketName, spaFunctionName } from '../../src/aws/names.js';
import { cdnRoutes, hasCdn } from '../../src/config/features.js';
import { CDN_ASSUMPTION, CLOUDFRONT_10K_HTTPS, CLOUDFRONT_FUNCTION_MILLION, CLOUDFRONT_GB, pricesFor, round } from '../../src/pricing.js';

export const manifest = defineStep({
  id: 'site',
  title: 'Publish the static site, or put the CDN in front of the app (CloudFront)',
  dependsOn: ['load-balancer', 'certificate', 'waf'],
  enabled: hasCdn,
  resources: (w) => {
    const b = siteBucketName({ app: w.app, env: w.env, account: w.account });
    return [
      // The single-page fallback beside web routes (src/site/spa-function.ts), by its exact name.
      { kind: 'spa-function', arn: arnIn(w, 'cloudfront', `function/${spaFunctionName(w)}`, '') },
      { kind: 'site-bucket', arn: `arn:${w.partition}:s3:::${b}` },
      { kind: 'site-bucket', arn: `arn:${w.partition}:s3:::${b}/*` },
    ];
  },
  grants: [
    {
      // Distributions and origin access controls have generated ids: scoped by action.
      sid: 'Cdn',
      calls: [
        'CloudFront:ListDistributions',
        'CloudFront:GetDistribution',
        'CloudFront:GetDistributionConfig',
        'CloudFront:CreateDistributionWithTags',
        'CloudFront:UpdateDistribution',
        'CloudFront:ListTagsForResource',
        'CloudFront:ListOriginAccessControls',
        'CloudFront:CreateOriginAccessControl',
        'CloudFront:CreateInvalidation',
        'CloudFront:GetInvalidation',
      ],
      on: '*',
    },
    {
      sid: 'SpaFunction',
      calls: [
        'CloudFront:DescribeFunction',
        'CloudFront:GetFunction',
        'CloudFront:CreateFunction',
        'CloudFront:UpdateFunction',
        'CloudFront:PublishFunction',
        'CloudFront:DeleteFunction',
      ],
      actions: ['cloudfront:TagResource'],
      on: ['spa-function'],
    },
    { sid: 'ListOwnBucketsForSite', calls: ['S3:ListBuckets'], on: '*' },
    { sid: 'ReadOriginSecret', calls: ['SecretsManager:GetSecretValue'], on: ['origin-secret'] },
    {
      sid: 'SiteBucket',
      calls: [...OWNED_BUCKET_CALLS, 'S3:GetBucketPolicy', 'S3:PutBucketPolicy', 'S3:ListObjectsV2', 'S3:PutObject', 'S3:DeleteObjects'],
      on: ['site-bucket'],
    },
  ],
  cost(config) {
    const { gb, requests } = CDN_ASSUMPTION;
    return [
      {
        component: 'CloudFront',
        size: `assumes ${gb} GB and ${requests / 1e6}M requests a month`,
        monthly: round(gb * CLOUDFRONT_GB + (requests / 10_000) * CLOUDFRONT_10K_HTTPS),
      },
      ...(config.site ? [{ component: 'S3', size: 'site bucket, < 1 GB', monthly: round(pricesFor(config.region).p.s3GbMonth) }] : []),
      ...(config.site?.spa && cdnRoutes(config).length
        ? [
            {
              component: 'CloudFront Functions',
              size: `single-page fallback, assumes ${requests / 1e6}M requests a month`,
              monthly: round((requests / 1e6) * CLOUDFRONT_FUNCTION_MILLION),
            },
          ]
        : []),
    ];
  },
  load: async () => (await import('./apply.js')).site,
  loadTeardown: async () => (await import('./teardown.js')).destroySite,
});
