import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFrontClient, GetDistributionConfigCommand } from '@aws-sdk/client-cloudfront';
import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { makeApp, readState } from '../helpers/cli.js';
import { mutatingCalls, recordedDeploy } from '../helpers/recorded-deploy.js';
import { siteBucketName } from '../../src/aws/names.js';
import { ALL_VIEWER, APP_ORIGIN, CLOUDFRONT_ZONE_ID, USE_ORIGIN_CACHE_CONTROL } from '../../src/site/distribution-config.js';

const REGION = 'eu-west-1';
const route53 = new Route53Client({ region: 'us-east-1' });
const cloudfront = new CloudFrontClient({ region: 'us-east-1' });
const ec2 = new EC2Client({ region: REGION });
const fail = (r: { code: number; error?: Error }) => `${r.error?.message} ${(r.error as any)?.problems ?? ''} ${(r.error as any)?.hint ?? ''}`;

// arbiter-ai's edge: CloudFront in front of the load balancer for every route (the Next.js app serves its own
// pages; no static site), its domain and a wildcard alias on the us-east-1 certificate, the WAF on CloudFront.
describe('edge.cdn: CloudFront in front of the load balancer, without a site', () => {
  it("sends every route to the load balancer with the app's own caching, closes the load balancer to all but CloudFront, and converges back when removed", async () => {
    let zone = '';
    const { dir, app } = makeApp((c) => {
      zone = `${c.app}.example.com`;
      delete c.site;
      c.services.api.routes = ['/*'];
      c.domain = { name: zone, zone, aliases: [`www.${zone}`, `*.${zone}`] };
      c.edge = { cdn: true, waf: { rateLimitPerIp: 2000, rules: ['common', 'known-bad-inputs', 'sql-injection', 'ip-reputation'] } };
    }, 'edge-app');
    const zoneId = (await route53.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `${app}-${Date.now()}` }))).HostedZone!.Id!;

    const first = await recordedDeploy(dir);
    expect(first.code, fail(first)).toBe(0);
    const state = readState(dir);
    const out = state.steps.site.outputs;
    expect(out.bucket).toBeUndefined();
    await expect(
      new S3Client({ region: REGION, forcePathStyle: true }).send(
        new HeadBucketCommand({ Bucket: siteBucketName({ app, env: 'prod', account: '123456789012' }) }),
      ),
    ).rejects.toThrow();

    // One origin, the load balancer; everything goes there, cached as the app says, every header, cookie and query on.
    const dist = (await cloudfront.send(new GetDistributionConfigCommand({ Id: out.distributionId }))).DistributionConfig!;
    expect(dist.Origins!.Items!.map((o) => [o.Id, o.DomainName])).toEqual([[APP_ORIGIN, state.steps['load-balancer'].outputs.dnsName]]);
    expect(dist.Origins!.Items![0]!.CustomOriginConfig?.OriginProtocolPolicy).toBe('https-only');
    expect(dist.DefaultCacheBehavior).toMatchObject({ TargetOriginId: APP_ORIGIN, CachePolicyId: USE_ORIGIN_CACHE_CONTROL, OriginRequestPolicyId: ALL_VIEWER });
    expect(dist.DefaultCacheBehavior!.AllowedMethods!.Items).toEqual(expect.arrayContaining(['POST', 'PUT', 'DELETE']));
    expect(dist.CacheBehaviors?.Quantity ?? 0).toBe(0);
    expect(dist.DefaultRootObject ?? '').toBe('');
    // The domain, the wildcard too, on the us-east-1 certificate; the WAF on CloudFront.
    expect([...(dist.Aliases!.Items ?? [])].sort()).toEqual([zone, `*.${zone}`, `www.${zone}`].sort());
    expect(dist.ViewerCertificate!.ACMCertificateArn).toBe(state.steps.certificate.outputs.edgeArn);
    expect(dist.ViewerCertificate!.ACMCertificateArn).toMatch(/^arn:aws:acm:us-east-1:/);
    expect(state.steps.waf.outputs.scope).toBe('CLOUDFRONT');
    expect(dist.WebACLId).toBe(state.steps.waf.outputs.arn);

    // The load balancer admits CloudFront only, and its routes want the origin header CloudFront sends.
    const lbGroup = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [state.steps.network.outputs.securityGroups.lb] }))).SecurityGroups![0]!;
    expect(lbGroup.IpPermissions!.flatMap((p) => p.IpRanges ?? [])).toEqual([]);
    expect(lbGroup.IpPermissions!.every((p) => (p.PrefixListIds ?? []).length === 1)).toBe(true);
    expect(state.steps['load-balancer'].outputs.originVerifySecretArn).toBeTruthy();
    // The names point at the CDN (A and AAAA), the wildcard too.
    const aliases = ((await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? []).filter((r) => r.AliasTarget);
    expect(aliases.map((r) => `${r.Name?.replace(/\\052/g, '*')} ${r.Type}`).sort()).toEqual(
      [`${zone}. A`, `${zone}. AAAA`, `www.${zone}. A`, `www.${zone}. AAAA`, `*.${zone}. A`, `*.${zone}. AAAA`].sort(),
    );
    expect(new Set(aliases.map((r) => r.AliasTarget!.HostedZoneId))).toEqual(new Set([CLOUDFRONT_ZONE_ID]));

    const again = await recordedDeploy(dir);
    expect(again.code, fail(again)).toBe(0);
    expect(mutatingCalls(again.names)).toEqual([]);

    // Removed (with --yes): the distribution goes, the load balancer is open again, the names point at it.
    const path = join(dir, 'deploy-wizard.json');
    const c = JSON.parse(readFileSync(path, 'utf8'));
    delete c.edge.cdn;
    writeFileSync(path, JSON.stringify(c));
    const off = await recordedDeploy(dir, {}, { yes: true });
    expect(off.code, fail(off)).toBe(0);
    expect(off.names).toContain('CloudFront:DeleteDistribution');
    expect(readState(dir).steps.site).toBeUndefined();
    const open = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [state.steps.network.outputs.securityGroups.lb] }))).SecurityGroups![0]!;
    expect(open.IpPermissions!.flatMap((p) => (p.IpRanges ?? []).map((r) => r.CidrIp))).toContain('0.0.0.0/0');
    const now = ((await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? []).filter((r) => r.AliasTarget);
    expect(now.every((r) => r.AliasTarget!.HostedZoneId !== CLOUDFRONT_ZONE_ID)).toBe(true);
    expect(mutatingCalls((await recordedDeploy(dir)).names)).toEqual([]);
  });
});
