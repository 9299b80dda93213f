import type { DistributionConfig } from '@aws-sdk/client-cloudfront';
import { ORIGIN_VERIFY_HEADER } from './origin-verify.js';

// The CloudFront distribution for a site, as one pure function of its inputs
// so the plan, the converge and the tests see the same thing.

/** AWS managed policies (IDs are fixed by AWS; see "Use managed cache policies" in the CloudFront guide). */
export const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
export const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
export const ALL_VIEWER = '216adef6-5c7f-47e4-b989-5492eafa07d3';
/** UseOriginCacheControlHeaders-QueryStrings: caches what the app's own Cache-Control allows, keyed by host and query string. */
export const USE_ORIGIN_CACHE_CONTROL = '4cc15a8a-d715-48a4-82b8-cc0b614638fe';
/** The hosted zone id every CloudFront alias record targets. */
export const CLOUDFRONT_ZONE_ID = 'Z2FDTNDATAQYW2';

export const SITE_ORIGIN = 'site';
export const APP_ORIGIN = 'app';

export interface DistributionInput {
  comment: string;
  callerReference: string;
  /** The bucket's regional endpoint, e.g. my-bucket.s3.eu-west-1.amazonaws.com; absent for a CDN in front of the app alone (edge.cdn). */
  bucketDomain?: string;
  originAccessControlId: string;
  /** The load balancer behind the web routes, if the app has web services. */
  app?: { dnsName: string; https: boolean; routes: string[]; originSecret?: string };
  aliases: string[];
  /** us-east-1 ACM certificate covering the aliases. */
  certificateArn?: string;
  webAclArn?: string;
  spa: boolean;
  /** With web routes on the distribution, the published function doing the SPA fallback on the site's behavior (src/site/spa-function.ts). */
  spaFunctionArn?: string;
  /** The site has a 404.html to show for a missing file. */
  notFoundPage: boolean;
}

const ALL_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'] as const;

/**
 * Errors a site maps, and to what. A missing object answers 403 (the bucket
 * policy grants GetObject only, so S3 never says whether a key exists).
 * CloudFront applies custom error responses to every origin, so when the API
 * shares the distribution only 403 is mapped: the API's own 404s must reach
 * its clients as 404s, not as index.html. So beside the API nothing is
 * mapped: a single-page app's fallback is the function on the site's
 * behavior, and a 404.html is not shown (mapping 403 to it would turn the
 * API's 403s and the firewall's blocks into 404 pages); a missing file then
 * answers S3's 403.
 */
function errorResponses(i: DistributionInput): DistributionConfig['CustomErrorResponses'] {
  const items: NonNullable<DistributionConfig['CustomErrorResponses']>['Items'] = [];
  const codes = [403, 404];
  if (i.app?.routes.length || i.bucketDomain === undefined) return { Quantity: 0 };
  if (i.spa) for (const c of codes) items.push({ ErrorCode: c, ResponsePagePath: '/index.html', ResponseCode: '200', ErrorCachingMinTTL: 10 });
  else if (i.notFoundPage) for (const c of codes) items.push({ ErrorCode: c, ResponsePagePath: '/404.html', ResponseCode: '404', ErrorCachingMinTTL: 10 });
  return { Quantity: items.length, ...(items.length ? { Items: items } : {}) };
}

export function distributionConfig(i: DistributionInput): DistributionConfig {
  const site = i.bucketDomain !== undefined;
  const origins: NonNullable<DistributionConfig['Origins']>['Items'] = site
    ? [
        {
          Id: SITE_ORIGIN,
          DomainName: i.bucketDomain,
          OriginPath: '',
          S3OriginConfig: { OriginAccessIdentity: '' },
          OriginAccessControlId: i.originAccessControlId,
        },
      ]
    : [];
  // Without a site every request goes to the app (the default behavior); with one, its routes other than "/*".
  const routes = site ? (i.app?.routes.filter((r) => r !== '/*') ?? []) : [];
  if (i.app && (routes.length || !site)) {
    origins.push({
      Id: APP_ORIGIN,
      DomainName: i.app.dnsName,
      OriginPath: '',
      CustomOriginConfig: {
        HTTPPort: 80,
        HTTPSPort: 443,
        // HTTPS when the load balancer has the domain's certificate: the viewer's Host is forwarded, and that is the name CloudFront verifies.
        OriginProtocolPolicy: i.app.https ? 'https-only' : 'http-only',
        OriginSslProtocols: { Quantity: 1, Items: ['TLSv1.2'] },
        OriginReadTimeout: 60,
        OriginKeepaliveTimeout: 5,
      },
      // Behind the CDN the load balancer's routes require it (src/site/origin-verify.ts).
      ...(i.app.originSecret ? { OriginCustomHeaders: { Quantity: 1, Items: [{ HeaderName: ORIGIN_VERIFY_HEADER, HeaderValue: i.app.originSecret }] } } : {}),
    });
  }
  const behaviors = routes.map((PathPattern) => ({
    PathPattern,
    TargetOriginId: APP_ORIGIN,
    ViewerProtocolPolicy: 'redirect-to-https' as const,
    AllowedMethods: { Quantity: ALL_METHODS.length, Items: [...ALL_METHODS], CachedMethods: { Quantity: 2, Items: ['GET' as const, 'HEAD' as const] } },
    Compress: true,
    CachePolicyId: CACHING_DISABLED,
    OriginRequestPolicyId: ALL_VIEWER,
  }));
  // The app alone: everything to the load balancer, cached only as far as the app's own Cache-Control says,
  // with every header (the Host too), cookie and query string forwarded.
  const appDefault = {
    TargetOriginId: APP_ORIGIN,
    ViewerProtocolPolicy: 'redirect-to-https' as const,
    AllowedMethods: { Quantity: ALL_METHODS.length, Items: [...ALL_METHODS], CachedMethods: { Quantity: 2, Items: ['GET' as const, 'HEAD' as const] } },
    Compress: true,
    CachePolicyId: USE_ORIGIN_CACHE_CONTROL,
    OriginRequestPolicyId: ALL_VIEWER,
    FunctionAssociations: { Quantity: 0 },
  };
  return {
    CallerReference: i.callerReference,
    Comment: i.comment,
    Enabled: true,
    DefaultRootObject: site ? 'index.html' : '',
    Aliases: { Quantity: i.aliases.length, ...(i.aliases.length ? { Items: i.aliases } : {}) },
    Origins: { Quantity: origins.length, Items: origins },
    DefaultCacheBehavior: site
      ? {
          TargetOriginId: SITE_ORIGIN,
          ViewerProtocolPolicy: 'redirect-to-https',
          AllowedMethods: { Quantity: 2, Items: ['GET', 'HEAD'], CachedMethods: { Quantity: 2, Items: ['GET', 'HEAD'] } },
          Compress: true,
          CachePolicyId: CACHING_OPTIMIZED,
          // Always said, so a function no longer wanted is dropped from the behavior too.
          FunctionAssociations: i.spaFunctionArn ? { Quantity: 1, Items: [{ EventType: 'viewer-request', FunctionARN: i.spaFunctionArn }] } : { Quantity: 0 },
        }
      : appDefault,
    CacheBehaviors: { Quantity: behaviors.length, ...(behaviors.length ? { Items: behaviors } : {}) },
    CustomErrorResponses: errorResponses(i),
    ViewerCertificate: i.certificateArn
      ? { ACMCertificateArn: i.certificateArn, SSLSupportMethod: 'sni-only', MinimumProtocolVersion: 'TLSv1.2_2021', CloudFrontDefaultCertificate: false }
      : { CloudFrontDefaultCertificate: true },
    WebACLId: i.webAclArn ?? '',
    HttpVersion: 'http2and3',
    IsIPV6Enabled: true,
    PriceClass: 'PriceClass_All',
  };
}
