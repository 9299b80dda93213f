import { describe, expect, it } from 'vitest';
import { DescribeCertificateCommand, ListTagsForCertificateCommand } from '@aws-sdk/client-acm';
import { CreateHostedZoneCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { certificate } from '../../steps/certificate/apply.js';
import { destroyCertificates } from '../../steps/certificate/teardown.js';
import { manifest } from '../../steps/certificate/manifest.js';
import { MUTATING, stepContext } from '../helpers/step-context.js';

/** A web app at app.<zone> and api.app.<zone>, in its own zone in moto (tests share one account). */
async function domainApp(calls: string[]) {
  const suffix = Math.random().toString(36).slice(2, 8);
  const zone = `c${suffix}.example.com`;
  const t = stepContext({ domain: { name: `app.${zone}`, zone, aliases: [`api.app.${zone}`] } }, { onCall: (c) => void (c.ok && calls.push(c.command)) });
  const zoneId = (await t.ctx.aws.route53.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: suffix }))).HostedZone!.Id!.replace(
    '/hostedzone/',
    '',
  );
  return { ...t, zone, zoneId };
}

describe('certificate', () => {
  it('requests one DNS-validated certificate for the name and its alias, writes its validation records, waits until issued; a re-run makes no call that changes anything; a changed alias retires the old one', async () => {
    const calls: string[] = [];
    const { ctx, zone, zoneId } = await domainApp(calls);
    expect(manifest.enabled!(ctx.config)).toBe(true);
    expect((await certificate.plan(ctx)).map((p) => p.action)).toContain('create');
    const out = await certificate.apply(ctx);
    expect(out).toMatchObject({ zoneId, names: [`app.${zone}`, `api.app.${zone}`] });
    expect(out.edgeArn).toBeUndefined();
    const cert = (await ctx.aws.acm.send(new DescribeCertificateCommand({ CertificateArn: out.regionalArn! }))).Certificate!;
    expect(cert.Status).toBe('ISSUED');
    expect(cert.SubjectAlternativeNames!.sort()).toEqual([`api.app.${zone}`, `app.${zone}`]);
    const tags = (await ctx.aws.acm.send(new ListTagsForCertificateCommand({ CertificateArn: out.regionalArn! }))).Tags!;
    expect(tags).toContainEqual({ Key: 'deploy-wizard:app', Value: ctx.app });
    const cnames = ((await ctx.aws.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? []).filter(
      (r) => r.Type === 'CNAME',
    );
    const expected = (cert.DomainValidationOptions ?? []).map((o) => o.ResourceRecord!.Name!.replace(/\.?$/, '.'));
    expect(cnames.map((r) => r.Name).sort()).toEqual([...new Set(expected)].sort());
    expect((await certificate.verify(ctx, out)).every((c) => c.ok)).toBe(true);

    calls.length = 0;
    ctx.previous = () => out;
    await certificate.apply(ctx);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);
    expect(await certificate.retired!(ctx)).toEqual([]);

    // Another alias: a new certificate for the new set of names, and the old one is retired (deleted after the pipeline).
    ctx.config = { ...ctx.config, domain: { ...ctx.config.domain!, aliases: [`www.app.${zone}`] } };
    const retired = await certificate.retired!(ctx);
    expect(retired.map((r) => r.resource)).toEqual([`ACM certificate for app.${zone}, api.app.${zone} (us-east-1)`]);
    const next = await certificate.apply(ctx);
    expect(next.regionalArn).not.toBe(out.regionalArn);
    ctx.previous = () => next;
    for (const r of retired) await r.remove!();
    await expect(ctx.aws.acm.send(new DescribeCertificateCommand({ CertificateArn: out.regionalArn! }))).rejects.toThrow();

    const left = await destroyCertificates(ctx);
    expect(left.map((l) => l.resource)).toEqual([`ACM certificate app.${zone} (us-east-1)`]);
    for (const l of left) await l.remove!();
    expect(await destroyCertificates(ctx)).toEqual([]);
  });
});
