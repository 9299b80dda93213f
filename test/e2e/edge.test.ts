import { describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACMClient, DescribeCertificateCommand, ListCertificatesCommand, ListTagsForCertificateCommand, RequestCertificateCommand } from '@aws-sdk/client-acm';
import {
  CloudFrontClient,
  DescribeFunctionCommand,
  GetDistributionConfigCommand,
  ListDistributionsCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-cloudfront';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeManagedPrefixListsCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import {
  GetBucketPolicyCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetWebACLCommand, ListWebACLsCommand, WAFV2Client } from '@aws-sdk/client-wafv2';
import { makeApp, readState, runCli, standinLogs } from '../helpers/cli.js';
import { mutatingCalls, recordedDeploy } from '../helpers/recorded-deploy.js';
import { serveDistribution } from '../helpers/cdn-emulator.js';
import { startAwsProxy, throttlingFor } from '../helpers/aws-proxy.js';
import { elbName, siteBucketName } from '../../src/aws/names.js';
import { ALL_VIEWER, CACHING_DISABLED, CLOUDFRONT_ZONE_ID } from '../../src/site/distribution-config.js';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const route53 = new Route53Client({ region: 'us-east-1' });
const cloudfront = new CloudFrontClient({ region: 'us-east-1' });
const s3 = new S3Client({ region: REGION, forcePathStyle: true });

/** The edge-app fixture under a fresh app name, with its own hosted zone in moto (zones are per account, tests share one). */
async function edgeApp(edit: (c: any) => void = () => {}) {
  let zone = '';
  const made = makeApp((c) => {
    zone = `${c.app}.example.com`;
    c.domain = { name: `app.${zone}`, zone, aliases: [`www.${zone}`] };
    edit(c);
  }, 'edge-app');
  const zoneId = (await route53.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `${made.app}-${Date.now()}` }))).HostedZone!.Id!;
  return { ...made, zone, zoneId, bucket: siteBucketName({ app: made.app, env: 'prod', account: ACCOUNT }) };
}

const records = async (zoneId: string) => (await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? [];

async function ourCertificates(app: string, region: string) {
  const acm = new ACMClient({ region });
  const out = [];
  for (const s of (await acm.send(new ListCertificatesCommand({}))).CertificateSummaryList ?? []) {
    const tags = (await acm.send(new ListTagsForCertificateCommand({ CertificateArn: s.CertificateArn }))).Tags ?? [];
    if (tags.some((t) => t.Key === 'deploy-wizard:app' && t.Value === app))
      out.push((await acm.send(new DescribeCertificateCommand({ CertificateArn: s.CertificateArn }))).Certificate!);
  }
  return out;
}

async function ourDistributions(app: string) {
  const items = (await cloudfront.send(new ListDistributionsCommand({}))).DistributionList?.Items ?? [];
  const out = [];
  for (const d of items) {
    const tags = (await cloudfront.send(new ListTagsForResourceCommand({ Resource: d.ARN }))).Tags?.Items ?? [];
    if (tags.some((t) => t.Key === 'deploy-wizard:app' && t.Value === app)) out.push(d);
  }
  return out;
}

async function ourAcls(app: string) {
  const waf = new WAFV2Client({ region: 'us-east-1' });
  return ((await waf.send(new ListWebACLsCommand({ Scope: 'CLOUDFRONT' }))).WebACLs ?? []).filter((a) => a.Name === `${app}-prod`);
}

const fail = (r: { code: number; error?: Error }) => `${r.error?.message} ${(r.error as any)?.problems ?? ''} ${(r.error as any)?.hint ?? ''}`;

/** An in-process deploy whose SDK clients go through `url` (they read AWS_ENDPOINT_URL from the process). */
async function throughProxy<T>(url: string, fn: () => Promise<T>): Promise<T> {
  const moto = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = url;
  try {
    return await fn();
  } finally {
    process.env.AWS_ENDPOINT_URL = moto;
  }
}

describe('a domain over HTTPS, a static site on the CDN beside the API, and a WAF', () => {
  it('deploys end to end; a re-run changes nothing; one changed file is one upload and one invalidated path', async () => {
    const { dir, app, zone, zoneId, bucket } = await edgeApp();
    const first = await recordedDeploy(dir);
    expect(first.code, fail(first)).toBe(0);
    const state = readState(dir);
    const site = state.steps.site.outputs;

    // One certificate in the app's region (load balancer) and one in us-east-1 (CloudFront), both ISSUED and covering both names.
    const names = [`app.${zone}`, `www.${zone}`];
    for (const region of [REGION, 'us-east-1']) {
      const certs = await ourCertificates(app, region);
      expect(certs, region).toHaveLength(1);
      expect(certs[0]!.Status).toBe('ISSUED');
      expect([...certs[0]!.SubjectAlternativeNames!].sort()).toEqual(names);
    }
    const cert = state.steps.certificate.outputs;
    expect(cert.regionalArn).toContain(`:acm:${REGION}:`);
    expect(cert.edgeArn).toContain(':acm:us-east-1:');

    // The zone holds the validation CNAMEs and A + AAAA aliases for both names, pointing at the distribution.
    const rrs = await records(zoneId);
    const cnames = rrs.filter((r) => r.Type === 'CNAME');
    expect(cnames.map((r) => r.Name).sort()).toEqual(names.map((n) => expect.stringMatching(new RegExp(`^_[0-9a-f]+\\.${n.replace(/\./g, '\\.')}\\.$`))));
    for (const n of names) {
      for (const type of ['A', 'AAAA']) {
        const r = rrs.find((x) => x.Name === `${n}.` && x.Type === type);
        expect(r?.AliasTarget, `${type} ${n}`).toMatchObject({ HostedZoneId: CLOUDFRONT_ZONE_ID, DNSName: `${site.domainName}.` });
      }
    }

    // The load balancer serves HTTPS with the issued certificate; 80 only redirects.
    const elb = new ElasticLoadBalancingV2Client({ region: REGION });
    const lb = (await elb.send(new DescribeLoadBalancersCommand({ Names: [elbName(app, 'prod')] }))).LoadBalancers![0]!;
    const listeners = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners!;
    const https = listeners.find((l) => l.Port === 443)!;
    expect(https.Protocol).toBe('HTTPS');
    expect(https.Certificates![0]!.CertificateArn).toBe(cert.regionalArn);
    expect(https.SslPolicy).toMatch(/TLS13-1-2/);
    expect(listeners.find((l) => l.Port === 80)!.DefaultActions![0]!.Type).toBe('redirect');

    // Every web route is served through CloudFront: the load balancer admits CloudFront's origin-facing addresses
    // alone (no 0.0.0.0/0, no ::/0), and each route wants the origin secret CloudFront sends; anything else gets 403.
    const ec2 = new EC2Client({ region: REGION });
    const cdnList = (
      await ec2.send(
        new DescribeManagedPrefixListsCommand({ Filters: [{ Name: 'prefix-list-name', Values: ['com.amazonaws.global.cloudfront.origin-facing'] }] }),
      )
    ).PrefixLists![0]!.PrefixListId!;
    const lbGroup = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [state.steps.network.outputs.securityGroups.lb] }))).SecurityGroups![0]!;
    expect(lbGroup.IpPermissions!.flatMap((p) => [...(p.IpRanges ?? []), ...(p.Ipv6Ranges ?? [])])).toEqual([]);
    expect(lbGroup.IpPermissions!.map((p) => [p.FromPort, p.PrefixListIds!.map((x) => x.PrefixListId)]).sort()).toEqual([
      [443, [cdnList]],
      [80, [cdnList]],
    ]);
    expect(https.DefaultActions![0]).toMatchObject({ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '403' } });
    const originSecret = JSON.parse(
      (
        await new SecretsManagerClient({ region: REGION }).send(
          new GetSecretValueCommand({ SecretId: state.steps['load-balancer'].outputs.originVerifySecretArn }),
        )
      ).SecretString!,
    ).value;
    expect(originSecret).toMatch(/^[A-Za-z0-9]{48}$/);
    const routeRules = ((await elb.send(new DescribeRulesCommand({ ListenerArn: https.ListenerArn }))).Rules ?? []).filter((r) => !r.IsDefault);
    expect(routeRules).toHaveLength(2);
    for (const r of routeRules)
      expect(r.Conditions!.find((c) => c.Field === 'http-header')!.HttpHeaderConfig).toEqual({ HttpHeaderName: 'X-Origin-Verify', Values: [originSecret] });
    // CloudFront sends it to the load balancer origin (moto keeps no custom headers: read from the call that made the distribution).
    const created = first.calls.find((c) => c.name === 'CloudFront:CreateDistributionWithTags')!.input.DistributionConfigWithTags.DistributionConfig;
    expect(created.Origins.Items.find((o: any) => o.Id === 'app').OriginCustomHeaders).toEqual({
      Quantity: 1,
      Items: [{ HeaderName: 'X-Origin-Verify', HeaderValue: originSecret }],
    });
    // The value never reaches the state or the output.
    expect(JSON.stringify(readState(dir))).not.toContain(originSecret.slice(0, 12));
    expect(first.stderr).not.toContain(originSecret.slice(0, 12));

    // Rotated: a new value, the old one accepted only during the rotation, then the new one alone; no value printed.
    const rotated = await runCli(['secrets', 'rotate', 'origin-verify', '--non-interactive'], { cwd: dir });
    expect(rotated.code, rotated.stderr).toBe(0);
    const sm = new SecretsManagerClient({ region: REGION });
    const after = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: `${app}/prod/origin-verify` }))).SecretString!);
    expect(Object.keys(after)).toEqual(['value']);
    expect(after.value).not.toBe(originSecret);
    for (const r of ((await elb.send(new DescribeRulesCommand({ ListenerArn: https.ListenerArn }))).Rules ?? []).filter((x) => !x.IsDefault))
      expect(r.Conditions!.find((c) => c.Field === 'http-header')!.HttpHeaderConfig!.Values).toEqual([after.value]);
    expect(rotated.stdout + rotated.stderr).not.toContain(after.value.slice(0, 12));
    expect(rotated.stdout + rotated.stderr).not.toContain(originSecret.slice(0, 12));

    // The distribution: both names on the us-east-1 certificate, the WAF, the site by default and the API routes uncached to the load balancer.
    const dist = (await cloudfront.send(new GetDistributionConfigCommand({ Id: site.distributionId }))).DistributionConfig!;
    expect(dist.Aliases!.Items!.sort()).toEqual(names);
    expect(dist.ViewerCertificate!.ACMCertificateArn).toBe(cert.edgeArn);
    expect(dist.WebACLId).toBe(state.steps.waf.outputs.arn);
    expect(dist.DefaultCacheBehavior!.TargetOriginId).toBe('site');
    expect(dist.CacheBehaviors!.Items!.map((b) => [b.PathPattern, b.TargetOriginId, b.CachePolicyId, b.OriginRequestPolicyId])).toEqual([
      ['/api/*', 'app', CACHING_DISABLED, ALL_VIEWER],
      ['/health', 'app', CACHING_DISABLED, ALL_VIEWER],
    ]);
    expect(dist.Origins!.Items!.find((o) => o.Id === 'app')!.DomainName).toBe(lb.DNSName);
    // With the API on the same distribution no error response is mapped (they apply to every origin, so an API 403 or a
    // WAF block would become `200 index.html`): the SPA fallback is a published function on the site's behavior alone.
    expect(dist.CustomErrorResponses!.Quantity).toBe(0);
    const fnName = `${app}-prod-spa`;
    expect(dist.DefaultCacheBehavior!.FunctionAssociations!.Items).toEqual([
      { EventType: 'viewer-request', FunctionARN: `arn:aws:cloudfront::${ACCOUNT}:function/${fnName}` },
    ]);
    expect(dist.CacheBehaviors!.Items!.every((b) => !b.FunctionAssociations?.Quantity)).toBe(true);
    const fn = await cloudfront.send(new DescribeFunctionCommand({ Name: fnName, Stage: 'LIVE' }));
    expect(fn.FunctionSummary!.FunctionConfig).toMatchObject({ Runtime: 'cloudfront-js-2.0', Comment: `deploy-wizard ${app}/prod: single-page fallback` });
    expect(await ourDistributions(app)).toHaveLength(1);

    // The bucket is private and admits only this distribution.
    const pab = (await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration!;
    expect(Object.values(pab).every(Boolean)).toBe(true);
    const policy = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy!);
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucket}/*`,
        Condition: { StringEquals: { 'AWS:SourceArn': site.distributionArn } },
      }),
    ]);

    // Every object with its type and cache header.
    const head = async (key: string) => {
      const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return [h.ContentType, h.CacheControl];
    };
    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key).sort();
    expect(keys).toEqual(['assets/index-9f8e7d6c.css', 'assets/index-D8b4DdsW.js', 'favicon.svg', 'index.html', 'robots.txt']);
    expect(await head('index.html')).toEqual(['text/html; charset=utf-8', 'no-cache']);
    expect(await head('assets/index-D8b4DdsW.js')).toEqual(['text/javascript; charset=utf-8', 'public, max-age=31536000, immutable']);
    expect(await head('assets/index-9f8e7d6c.css')).toEqual(['text/css; charset=utf-8', 'public, max-age=31536000, immutable']);
    expect(await head('favicon.svg')).toEqual(['image/svg+xml', 'no-cache']);
    expect(await head('robots.txt')).toEqual(['text/plain; charset=utf-8', 'no-cache']);

    // Served as CloudFront would: the root page, an asset, a deep link falling back to the SPA, the API routed to the load balancer.
    const cdn = await serveDistribution(site.distributionId, bucket, REGION, (p) =>
      p === '/api/private'
        ? { status: 403, body: 'forbidden by the API' }
        : p === '/api/gone'
          ? { status: 404, body: 'no such user' }
          : { status: 200, body: `app:${p}` },
    );
    try {
      const get = async (p: string) => {
        const r = await fetch(`${cdn.url}${p}`);
        return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
      };
      const root = await get('/');
      expect(root).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
      expect(root.body).toContain('edge-app frontend');
      expect(await get('/assets/index-D8b4DdsW.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
      const deep = await get('/settings/profile');
      expect(deep).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
      expect(deep.body).toContain('edge-app frontend');
      expect((await get('/api/users')).body).toBe('app:/api/users');
      // The API's own errors reach the browser as they are, not as the SPA's page.
      expect(await get('/api/private')).toMatchObject({ status: 403, body: 'forbidden by the API' });
      expect(await get('/api/gone')).toMatchObject({ status: 404, body: 'no such user' });
      // A missing file (it has an extension) is not a route: S3's 403, not index.html.
      expect((await get('/assets/missing-0a1b2c3d.js')).status).toBe(403);
    } finally {
      await cdn.close();
    }

    // The WAF sits on the distribution (CloudFront scope) with the managed rules and the rate limit.
    const acls = await ourAcls(app);
    expect(acls).toHaveLength(1);
    const acl = (await new WAFV2Client({ region: 'us-east-1' }).send(new GetWebACLCommand({ Scope: 'CLOUDFRONT', Name: acls[0]!.Name, Id: acls[0]!.Id })))
      .WebACL!;
    expect(acl.Rules!.map((r) => r.Name)).toEqual(['AWS-AWSManagedRulesCommonRuleSet', 'AWS-AWSManagedRulesKnownBadInputsRuleSet', 'RateLimitPerIp']);
    expect(acl.Rules![2]!.Statement!.RateBasedStatement).toMatchObject({ Limit: 2000, AggregateKeyType: 'IP' });

    // A re-run: no mutating call, nothing uploaded.
    const again = await recordedDeploy(dir);
    expect(again.code, fail(again)).toBe(0);
    expect(mutatingCalls(again.names)).toEqual([]);

    // One changed file: one upload, one invalidated path, nothing else touched.
    // Its upload meets a 503 SlowDown first (as S3 answers under load): the SDK sends the same bytes again.
    writeFileSync(join(dir, 'frontend/dist/robots.txt'), 'User-agent: *\nDisallow: /admin\n');
    let slowed = 0;
    const proxy = await startAwsProxy(process.env.AWS_ENDPOINT_URL!, (r) =>
      r.service === 's3' && /^PUT \/[^/]+-site-\d+\/robots\.txt$/.test(r.action) && slowed++ === 0 ? throttlingFor(r) : 'pass',
    );
    const changed = await throughProxy(proxy.url, () => recordedDeploy(dir));
    await proxy.close();
    expect(changed.code, fail(changed)).toBe(0);
    expect(slowed).toBeGreaterThanOrEqual(2);
    expect(mutatingCalls(changed.names)).toEqual(['S3:PutObject', 'CloudFront:CreateInvalidation']);
    expect(changed.calls.find((c) => c.name === 'S3:PutObject')!.input.Key).toBe('robots.txt');
    expect(changed.calls.find((c) => c.name === 'CloudFront:CreateInvalidation')!.input.InvalidationBatch.Paths.Items).toEqual(['/robots.txt']);
    const siteBucket = changed.calls.find((c) => c.name === 'S3:PutObject')!.input.Bucket;
    const robots = await new S3Client({ region: 'us-east-1', forcePathStyle: true }).send(new GetObjectCommand({ Bucket: siteBucket, Key: 'robots.txt' }));
    expect(await robots.Body!.transformToString()).toBe('User-agent: *\nDisallow: /admin\n');

    // The same file changed again is invalidated again: a new caller reference, since CloudFront answers a reused one with the old invalidation.
    writeFileSync(join(dir, 'frontend/dist/robots.txt'), 'User-agent: *\nDisallow: /private\n');
    const twice = await recordedDeploy(dir);
    expect(twice.code, fail(twice)).toBe(0);
    const ref = (r: typeof twice) => r.calls.find((c) => c.name === 'CloudFront:CreateInvalidation')!.input.InvalidationBatch.CallerReference;
    expect(ref(twice)).not.toBe(ref(changed));

    // A file removed from the build is removed from the bucket and the CDN; S3 first reports it not deleted
    // inside a 200 (quiet mode), and the key is tried again.
    rmSync(join(dir, 'frontend/dist/favicon.svg'));
    let refused = 0;
    const partial = await startAwsProxy(process.env.AWS_ENDPOINT_URL!, (r) =>
      r.service === 's3' && r.body.includes('<Delete') && refused++ === 0
        ? {
            reply:
              '<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Error><Key>favicon.svg</Key><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error></DeleteResult>',
          }
        : 'pass',
    );
    const removed = await throughProxy(partial.url, () => recordedDeploy(dir));
    await partial.close();
    expect(removed.code, fail(removed)).toBe(0);
    expect(refused).toBe(2);
    expect(mutatingCalls(removed.names)).toEqual(['S3:DeleteObjects', 'S3:DeleteObjects', 'CloudFront:CreateInvalidation']);
    expect(removed.calls.find((c) => c.name === 'CloudFront:CreateInvalidation')!.input.InvalidationBatch.Paths.Items).toEqual(['/favicon.svg']);
    const left = await new S3Client({ region: 'us-east-1', forcePathStyle: true }).send(new ListObjectsV2Command({ Bucket: siteBucket, Prefix: 'favicon' }));
    expect(left.Contents ?? []).toEqual([]);

    // A changed config value converges in place: the rate limit is one UpdateWebACL.
    const cfgPath = join(dir, 'deploy-wizard.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    cfg.edge.waf.rateLimitPerIp = 500;
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const tuned = await recordedDeploy(dir);
    expect(tuned.code, fail(tuned)).toBe(0);
    expect(mutatingCalls(tuned.names)).toEqual(['WAFV2:UpdateWebACL']);
    expect(tuned.calls.find((c) => c.name === 'WAFV2:UpdateWebACL')!.input.Rules[2].Statement.RateBasedStatement.Limit).toBe(500);

    // edge.waf removed (with --yes): the CDN lets go of the web ACL, then it is deleted; then nothing to do.
    delete cfg.edge;
    writeFileSync(cfgPath, JSON.stringify(cfg));
    expect((await recordedDeploy(dir)).code).toBe(2);
    const unwalled = await recordedDeploy(dir, {}, { yes: true });
    expect(unwalled.code, fail(unwalled)).toBe(0);
    expect(mutatingCalls(unwalled.names)).toEqual(['CloudFront:UpdateDistribution', 'WAFV2:DeleteWebACL']);
    expect((await cloudfront.send(new GetDistributionConfigCommand({ Id: site.distributionId }))).DistributionConfig!.WebACLId ?? '').toBe('');
    const webAcls = (await new WAFV2Client({ region: 'us-east-1' }).send(new ListWebACLsCommand({ Scope: 'CLOUDFRONT' }))).WebACLs ?? [];
    expect(webAcls.filter((a) => a.Name === `${app}-prod`)).toEqual([]);
    expect(mutatingCalls((await recordedDeploy(dir)).names)).toEqual([]);

    // site.spa off: the behavior lets go of the function, then (deployed) it is deleted; on again, it is made and published first.
    cfg.site.spa = false;
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const plain = await recordedDeploy(dir);
    expect(plain.code, fail(plain)).toBe(0);
    expect(mutatingCalls(plain.names)).toEqual(['CloudFront:UpdateDistribution', 'CloudFront:DeleteFunction']);
    expect(
      (await cloudfront.send(new GetDistributionConfigCommand({ Id: site.distributionId }))).DistributionConfig!.DefaultCacheBehavior!.FunctionAssociations!
        .Quantity,
    ).toBe(0);
    await expect(cloudfront.send(new DescribeFunctionCommand({ Name: fnName }))).rejects.toMatchObject({ name: 'NoSuchFunctionExists' });
    cfg.site.spa = true;
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const back = await recordedDeploy(dir);
    expect(back.code, fail(back)).toBe(0);
    expect(mutatingCalls(back.names)).toEqual(['CloudFront:CreateFunction', 'CloudFront:PublishFunction', 'CloudFront:UpdateDistribution']);
    expect(mutatingCalls((await recordedDeploy(dir)).names)).toEqual([]);
  }, 300_000);

  it('removing an alias, then the site, then the domain converges each time: records, certificates and the CDN go, with --yes', async () => {
    const { dir, app, zone, zoneId, bucket } = await edgeApp((c) => delete c.edge);
    expect((await recordedDeploy(dir)).code).toBe(0);
    const cfgPath = join(dir, 'deploy-wizard.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    const aliasesOf = async () =>
      (await records(zoneId)).filter((r) => r.AliasTarget).map((r) => `${r.Type} ${r.Name} ${r.AliasTarget!.DNSName!.includes('cloudfront') ? 'cdn' : 'lb'}`);
    const certNames = async (region: string) => (await ourCertificates(app, region)).map((c) => [...c.SubjectAlternativeNames!].sort().join(' '));
    const step = async (edit: () => void, label: string) => {
      edit();
      writeFileSync(cfgPath, JSON.stringify(cfg));
      const refused = await recordedDeploy(dir);
      expect(refused.code, label).toBe(2);
      expect(mutatingCalls(refused.names), label).toEqual([]);
      const done = await recordedDeploy(dir, {}, { yes: true });
      expect(done.code, `${label}: ${fail(done)}`).toBe(0);
      expect(mutatingCalls((await recordedDeploy(dir)).names), `${label}: the re-run`).toEqual([]);
      return done;
    };

    // www replaced by shop: www's records go in the same change that adds shop's; the certificates for the old
    // names give way to new ones, deleted once the listener and the distribution hold those.
    await step(() => (cfg.domain.aliases = [`shop.${zone}`]), 'alias changed');
    expect((await aliasesOf()).sort()).toEqual([`A app.${zone}. cdn`, `A shop.${zone}. cdn`, `AAAA app.${zone}. cdn`, `AAAA shop.${zone}. cdn`]);
    expect(await certNames(REGION)).toEqual([`app.${zone} shop.${zone}`]);
    expect(await certNames('us-east-1')).toEqual([`app.${zone} shop.${zone}`]);

    // The site dropped: the name points at the load balancer (IPv4 only, so no AAAA left sending users to the old
    // distribution); the distribution, its function, access control and bucket go, and CloudFront's certificate.
    await step(() => delete cfg.site, 'site removed');
    expect((await aliasesOf()).sort()).toEqual([`A app.${zone}. lb`, `A shop.${zone}. lb`]);
    expect(await ourDistributions(app)).toEqual([]);
    await expect(cloudfront.send(new DescribeFunctionCommand({ Name: `${app}-prod-spa` }))).rejects.toMatchObject({ name: 'NoSuchFunctionExists' });
    expect(
      await s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
        () => 'there',
        () => 'gone',
      ),
    ).toBe('gone');
    expect(await certNames('us-east-1')).toEqual([]);
    expect(await certNames(REGION)).toEqual([`app.${zone} shop.${zone}`]);
    expect(readState(dir).steps.site).toBeUndefined();

    // The domain dropped: its record and certificate go, and the load balancer serves the routes on 80 alone (the
    // 443 listener goes first: ACM refuses to delete a certificate a listener holds).
    await step(() => delete cfg.domain, 'domain removed');
    expect(await aliasesOf()).toEqual([]);
    expect(await certNames(REGION)).toEqual([]);
    const elb = new ElasticLoadBalancingV2Client({ region: REGION });
    const lb = (await elb.send(new DescribeLoadBalancersCommand({ Names: [elbName(app, 'prod')] }))).LoadBalancers![0]!;
    const listeners = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners!;
    expect(listeners.map((l) => l.Port)).toEqual([80]);
    const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: listeners[0]!.ListenerArn }))).Rules!.filter((r) => !r.IsDefault);
    expect(rules.map((r) => r.Actions![0]!.Type)).toEqual(['forward', 'forward']);
    expect(Object.keys(readState(dir).steps).filter((k) => ['dns', 'certificate'].includes(k))).toEqual([]);
  }, 300_000);

  it('after SIGKILL between an upload and the invalidation, the re-run invalidates every path that changed, not only the rest', async () => {
    const { dir } = await edgeApp();
    expect((await recordedDeploy(dir)).code).toBe(0);
    writeFileSync(join(dir, 'frontend/dist/robots.txt'), 'User-agent: *\nDisallow: /tmp\n');
    writeFileSync(join(dir, 'frontend/dist/favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>\n');
    const killed = await runCli(['deploy', '--non-interactive'], { cwd: dir, env: { DEPLOY_WIZARD_FAULT_KILL_AFTER_CALL: 'S3:PutObject' } });
    expect(killed.signal).toBe('SIGKILL');
    const rerun = await recordedDeploy(dir);
    expect(rerun.code, fail(rerun)).toBe(0);
    // Uploads run side by side: the killed run may have finished both, and then the re-run uploads nothing.
    expect(rerun.names.filter((n) => n === 'S3:PutObject').length).toBeLessThan(2);
    expect(rerun.calls.find((c) => c.name === 'CloudFront:CreateInvalidation')!.input.InvalidationBatch.Paths.Items).toEqual(['/favicon.svg', '/robots.txt']);
  }, 300_000);

  it('runs site.build before the upload, and takes the certificate the user brings for the load balancer', async () => {
    const issued = await new ACMClient({ region: REGION }).send(
      new RequestCertificateCommand({ DomainName: 'placeholder.example.com', ValidationMethod: 'DNS' }),
    );
    const { dir, app } = await edgeApp((c) => {
      c.site = { dir: 'out', spa: false, build: ['sh', '-c', 'mkdir -p out && cp -r frontend/dist/. out/ && echo built > out/built.txt'] };
      c.loadBalancer = { certificateArn: issued.CertificateArn };
    });
    const r = await recordedDeploy(dir);
    expect(r.code, fail(r)).toBe(0);
    // No certificate requested in the app's region: the user's serves the load balancer; CloudFront's comes from us-east-1.
    expect(r.calls.filter((c) => c.name === 'ACM:RequestCertificate').map((c) => c.input.DomainName)).toHaveLength(1);
    expect((await ourCertificates(app, REGION)).length).toBe(0);
    const state = readState(dir);
    expect(state.steps.certificate.outputs.regionalArn).toBe(issued.CertificateArn);
    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: siteBucketName({ app, env: 'prod', account: ACCOUNT }) }))).Contents ?? []).map(
      (o) => o.Key,
    );
    expect(keys).toContain('built.txt');
    // Not a single-page app: a missing file is not answered with index.html (and there is no 404.html to show).
    const dist = (await cloudfront.send(new GetDistributionConfigCommand({ Id: state.steps.site.outputs.distributionId }))).DistributionConfig!;
    expect(dist.CustomErrorResponses?.Quantity ?? 0).toBe(0);
  }, 300_000);

  it('stops with exit 2 before any change when the hosted zone does not exist, saying how to make one', async () => {
    const { dir } = makeApp((c) => (c.domain = { name: `app.${c.app}-nozone.example.com`, zone: `${c.app}-nozone.example.com` }), 'edge-app');
    const r = await recordedDeploy(dir);
    expect(r.code).toBe(2);
    expect(fail(r)).toMatch(/domain\.zone: no public Route 53 hosted zone named t[0-9a-f]+-nozone\.example\.com .*create-hosted-zone.*name servers/);
    expect(mutatingCalls(r.names)).toEqual([]);
  }, 120_000);

  it('refuses to take over a name that already has a record it did not make, and changes nothing in the zone', async () => {
    const { dir, zone, zoneId } = await edgeApp();
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [{ Action: 'CREATE', ResourceRecordSet: { Name: `www.${zone}`, Type: 'A', TTL: 300, ResourceRecords: [{ Value: '192.0.2.10' }] } }],
        },
      }),
    );
    const r = await recordedDeploy(dir);
    expect(r.code).toBe(2);
    expect(fail(r)).toContain(`www.${zone} already has an A record (192.0.2.10)`);
    expect(mutatingCalls(r.names)).toEqual([]);
  }, 120_000);

  it('after SIGKILL right after RequestCertificate, CreateWebACL or CreateDistributionWithTags, a re-run adopts what was made: never a twin', async () => {
    for (const call of ['ACM:RequestCertificate', 'WAFV2:CreateWebACL', 'CloudFront:CreateDistributionWithTags']) {
      const { dir, app } = await edgeApp();
      const killed = await runCli(['deploy', '--non-interactive'], { cwd: dir, env: { DEPLOY_WIZARD_FAULT_KILL_AFTER_CALL: call } });
      expect(killed.signal, `${call}: ${killed.stderr.slice(-1500)}`).toBe('SIGKILL');
      const rerun = await runCli(['deploy', '--non-interactive'], { cwd: dir });
      if (rerun.code !== 0) throw new Error(`${call}: re-run exit ${rerun.code}\n${rerun.stderr}\n${standinLogs()}`);
      expect((await ourCertificates(app, REGION)).length, call).toBe(1);
      expect((await ourCertificates(app, 'us-east-1')).length, call).toBe(1);
      expect((await ourAcls(app)).length, call).toBe(1);
      expect((await ourDistributions(app)).length, call).toBe(1);
    }
  }, 600_000);

  it('destroy takes down the records, the distribution (disabled first), its access control and bucket, the web ACL and both certificates; foreign records stay', async () => {
    const { dir, app, zone, zoneId, bucket } = await edgeApp();
    const first = await recordedDeploy(dir);
    expect(first.code, fail(first)).toBe(0);
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [{ Action: 'CREATE', ResourceRecordSet: { Name: `mail.${zone}`, Type: 'A', TTL: 300, ResourceRecords: [{ Value: '192.0.2.25' }] } }],
        },
      }),
    );
    const r = await runCli(['destroy', '--non-interactive', '--yes', '--force', '--verbose'], { cwd: dir });
    if (r.code !== 0) throw new Error(`destroy exit ${r.code}\n${r.stderr}\n${standinLogs()}`);
    const calls = r.stderr.split('\n').filter((l) => l.startsWith('aws '));
    const at = (c: string) => calls.indexOf(`aws ${c}`);
    // Disabled, then deleted; the ACL and the certificates only once the distribution is gone; the records before all of them.
    expect(at('CloudFront UpdateDistribution')).toBeGreaterThan(-1);
    expect(at('CloudFront DeleteDistribution')).toBeGreaterThan(at('CloudFront UpdateDistribution'));
    expect(at('WAFV2 DeleteWebACL')).toBeGreaterThan(at('CloudFront DeleteDistribution'));
    expect(at('ACM DeleteCertificate')).toBeGreaterThan(at('CloudFront DeleteDistribution'));
    expect(at('CloudFront DeleteFunction')).toBeGreaterThan(at('CloudFront DeleteDistribution'));
    expect(at('Route53 ChangeResourceRecordSets')).toBeLessThan(at('CloudFront UpdateDistribution'));

    expect(await ourDistributions(app)).toEqual([]);
    expect(await ourAcls(app)).toEqual([]);
    for (const region of [REGION, 'us-east-1']) expect(await ourCertificates(app, region), region).toEqual([]);
    const left = await records(zoneId);
    expect(left.filter((x) => x.AliasTarget)).toEqual([]);
    expect(left.find((x) => x.Name === `mail.${zone}.`)?.ResourceRecords).toEqual([{ Value: '192.0.2.25' }]);
    // The validation CNAMEs stay: ACM gives any certificate for these names in the account the same ones.
    expect(left.some((x) => x.Type === 'CNAME')).toBe(true);
    expect(
      await s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
        () => 'there',
        () => 'gone',
      ),
    ).toBe('gone');
    expect(r.stdout).toContain(`Destroyed ${app} (prod) in ${REGION}.`);
  }, 300_000);
});
