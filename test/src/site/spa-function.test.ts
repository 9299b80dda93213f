import { describe, expect, it } from 'vitest';
import { distributionConfig, type DistributionInput } from '../../../src/site/distribution-config.js';
import { SPA_FUNCTION_CODE } from '../../../src/site/spa-function.js';
import { runViewerRequest } from '../../helpers/cloudfront-functions.js';

const uriAfter = async (uri: string) => {
  const out = await runViewerRequest(SPA_FUNCTION_CODE, { method: 'GET', uri, querystring: {}, headers: {}, cookies: {} });
  return 'uri' in out ? out.uri : `status ${out.statusCode}`;
};

describe('the single-page fallback function, run as CloudFront Functions runs it', () => {
  it('sends the browser routes to /index.html and leaves every file as it is', async () => {
    expect(await uriAfter('/')).toBe('/index.html');
    expect(await uriAfter('/settings/profile')).toBe('/index.html');
    expect(await uriAfter('/users/42/')).toBe('/index.html');
    expect(await uriAfter('/assets/index-D8b4DdsW.js')).toBe('/assets/index-D8b4DdsW.js');
    expect(await uriAfter('/robots.txt')).toBe('/robots.txt');
    // A dot in a folder, not in the last segment, is still a route.
    expect(await uriAfter('/v1.2/docs')).toBe('/index.html');
  });
});

describe('the distribution of a single-page app', () => {
  const base: DistributionInput = {
    comment: 'c',
    callerReference: 'r',
    bucketDomain: 'b.s3.eu-west-1.amazonaws.com',
    originAccessControlId: 'oac',
    aliases: [],
    spa: true,
    notFoundPage: false,
  };
  const fn = 'arn:aws:cloudfront::123456789012:function/shop-prod-spa';

  it('alone on its distribution, maps the missing object to /index.html, with no function', () => {
    const d = distributionConfig(base);
    expect(d.CustomErrorResponses!.Items!.map((e) => [e.ErrorCode, e.ResponsePagePath, e.ResponseCode])).toEqual([
      [403, '/index.html', '200'],
      [404, '/index.html', '200'],
    ]);
    expect(d.DefaultCacheBehavior!.FunctionAssociations).toEqual({ Quantity: 0 });
  });

  it('beside the API, maps no error (they would reach the API too) and runs the function on the site behavior only', () => {
    const d = distributionConfig({ ...base, app: { dnsName: 'lb', https: false, routes: ['/api/*'] }, spaFunctionArn: fn });
    expect(d.CustomErrorResponses).toEqual({ Quantity: 0 });
    expect(d.DefaultCacheBehavior!.FunctionAssociations).toEqual({ Quantity: 1, Items: [{ EventType: 'viewer-request', FunctionARN: fn }] });
    expect(d.CacheBehaviors!.Items!.map((b) => b.FunctionAssociations)).toEqual([undefined]);
  });

  it('beside the API, shows no 404.html either: an API 403 or a WAF block must not become a 404 page', () => {
    const alone = distributionConfig({ ...base, spa: false, notFoundPage: true });
    expect(alone.CustomErrorResponses!.Items!.map((e) => [e.ErrorCode, e.ResponsePagePath, e.ResponseCode])).toEqual([
      [403, '/404.html', '404'],
      [404, '/404.html', '404'],
    ]);
    const beside = distributionConfig({ ...base, spa: false, notFoundPage: true, app: { dnsName: 'lb', https: false, routes: ['/api/*'] } });
    expect(beside.CustomErrorResponses).toEqual({ Quantity: 0 });
  });
});
