import {
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  ListCertificatesCommand,
  ListTagsForCertificateCommand,
  RequestCertificateCommand,
  type ACMClient,
  type CertificateDetail,
} from '@aws-sdk/client-acm';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { GLOBAL_REGION } from '../../src/aws/clients.js';
import { hasWebService } from '../../src/config/https.js';
import { findZone, recordsToChange, upsertRecords, zoneNameServers } from '../../src/aws/hosted-zone.js';
import { certificateToken } from '../../src/aws/names.js';
import type { Config } from '../../src/config/schema.js';
import type { StepContext } from '../../src/pipeline/context.js';
import { StepError } from '../../src/errors.js';
import { ownedBy, ownershipTags, type Check, type PlanItem, type Teardown } from '../../src/pipeline/step.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { retryWhileInUse } from '../../src/aws/retry-in-use.js';
import { waitFor } from '../../src/wait.js';
import type { StepCode } from '../../src/pipeline/manifest.js';
import { hasCdn } from '../../src/config/features.js';

export interface CertificateOutput {
  zoneId: string;
  /** domain.name first, then the aliases: what the certificates cover and the alias records name. */
  names: string[];
  /** For the load balancer's HTTPS listener: issued here, or the user's loadBalancer.certificateArn. Absent without web services. */
  regionalArn?: string;
  /** For CloudFront, which takes certificates from us-east-1 only. Absent without a site. */
  edgeArn?: string;
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    certificate: CertificateOutput;
  }
}

const domainNames = (config: Config) => [config.domain!.name, ...config.domain!.aliases];

interface Want {
  /** What the certificate is for: the load balancer, CloudFront, or both when the app runs in us-east-1. */
  uses: ('regional' | 'edge')[];
  region: string;
  acm: (ctx: StepContext) => ACMClient;
}

/** The certificates this config needs: one in the app's region for the load balancer (unless the user brings one), one in us-east-1 for CloudFront. */
function wanted(ctx: StepContext): Want[] {
  const regional = hasWebService(ctx.config) && !ctx.config.loadBalancer?.certificateArn;
  const edge = hasCdn(ctx.config);
  if (regional && edge && ctx.region === GLOBAL_REGION) return [{ uses: ['regional', 'edge'], region: ctx.region, acm: (c) => c.aws.acm }];
  const out: Want[] = [];
  if (regional) out.push({ uses: ['regional'], region: ctx.region, acm: (c) => c.aws.acm });
  if (edge) out.push({ uses: ['edge'], region: GLOBAL_REGION, acm: (c) => (c.region === GLOBAL_REGION ? c.aws.acm : c.aws.acmEdge) });
  return out;
}

const covers = (c: CertificateDetail | undefined, names: string[]) => {
  const have = new Set([c?.DomainName, ...(c?.SubjectAlternativeNames ?? [])]);
  return !!c && c.DomainName === names[0] && names.every((n) => have.has(n));
};

/**
 * Our certificate for these names in one region: issued first, else one
 * still validating. Found by tags, so a run that crashed after
 * RequestCertificate (whose idempotency token lasts only an hour) adopts it.
 */
async function findCertificate(ctx: StepContext, acm: ACMClient, names: string[]): Promise<CertificateDetail | undefined> {
  const found: CertificateDetail[] = [];
  let NextToken: string | undefined;
  do {
    const page = await acm.send(new ListCertificatesCommand({ CertificateStatuses: ['ISSUED', 'PENDING_VALIDATION'], NextToken }));
    for (const s of page.CertificateSummaryList ?? []) {
      if (s.DomainName !== names[0] || !s.CertificateArn) continue;
      const tags = (await acm.send(new ListTagsForCertificateCommand({ CertificateArn: s.CertificateArn }))).Tags;
      if (!ownedBy(ctx, tags)) continue;
      const c = (await acm.send(new DescribeCertificateCommand({ CertificateArn: s.CertificateArn }))).Certificate;
      if (covers(c, names)) found.push(c!);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  const rank = (c: CertificateDetail) => (c.Status === 'ISSUED' ? 0 : 1);
  return found.sort((a, b) => rank(a) - rank(b) || (b.CreatedAt?.getTime() ?? 0) - (a.CreatedAt?.getTime() ?? 0))[0];
}

/** The CNAMEs ACM checks. They appear a few seconds after the request (eventual consistency), so wait for every name's record. */
async function validationRecords(ctx: StepContext, acm: ACMClient, arn: string): Promise<ResourceRecordSet[]> {
  return waitFor({
    stepId: 'certificate',
    what: `validation records of ${arn}`,
    clock: ctx.clock,
    signal: ctx.signal,
    deadlineMs: 120_000,
    firstDelayMs: 1_000,
    maxDelayMs: 5_000,
    poll: async () => {
      const c = (await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate;
      const opts = c?.DomainValidationOptions ?? [];
      const ready = opts.length > 0 && opts.every((o) => o.ResourceRecord?.Name && o.ResourceRecord.Value);
      return { done: ready, value: recordsOf(c), status: ready ? 'ready' : 'not yet published' };
    },
  });
}

function recordsOf(c: CertificateDetail | undefined): ResourceRecordSet[] {
  const byName = new Map<string, ResourceRecordSet>();
  for (const o of c?.DomainValidationOptions ?? []) {
    const r = o.ResourceRecord;
    // Two names can share one record (a name and its wildcard), and both certificates use the same one per name.
    if (r?.Name && r.Value) byName.set(r.Name, { Name: r.Name, Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: r.Value }] });
  }
  return [...byName.values()];
}

async function waitIssued(ctx: StepContext, acm: ACMClient, arn: string, zoneId: string, records: ResourceRecordSet[]): Promise<void> {
  const ns = await zoneNameServers(ctx, zoneId).catch(() => []);
  await waitFor({
    stepId: 'certificate',
    what: `certificate ${arn.split('/').pop()} (DNS validation)`,
    clock: ctx.clock,
    signal: ctx.signal,
    deadlineMs: 45 * 60_000,
    firstDelayMs: 2_000,
    maxDelayMs: 30_000,
    typical: '2-10 min once the zone is delegated',
    onStatus: (l) => ctx.log.info(l),
    timeoutHint:
      `ACM issues the certificate once it can resolve ${records.map((r) => `${r.Name} CNAME ${r.ResourceRecords?.[0]?.Value}`).join('; ')}. ` +
      `Check that the domain's name servers at the registrar are the zone's${ns.length ? ` (${ns.join(', ')})` : ''}, then run again: the wait resumes.`,
    poll: async () => {
      const c = (await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate;
      const s = c?.Status ?? 'unknown';
      if (s === 'ISSUED') return { done: true, status: 'ISSUED' };
      if (s === 'PENDING_VALIDATION') {
        const pending = (c?.DomainValidationOptions ?? []).filter((o) => o.ValidationStatus !== 'SUCCESS').map((o) => o.DomainName);
        return { done: false, status: `PENDING_VALIDATION (${pending.join(', ') || 'all names'})` };
      }
      return { done: false, status: s, fatal: `the certificate is ${s}${c?.FailureReason ? ` (${c.FailureReason})` : ''}` };
    },
  });
}

/** Finds or requests one certificate, puts its validation records in the zone and waits until it is issued. */
async function ensureCertificate(ctx: StepContext, want: Want, zoneId: string, names: string[]): Promise<string> {
  const acm = want.acm(ctx);
  const cert = await findCertificate(ctx, acm, names);
  let arn = cert?.CertificateArn;
  if (!arn) {
    // The token makes a retry within the hour return the same certificate; the tags let a later run find it.
    await ctx.intents.record(`certificate@${want.region}`, { names: names.join(',') });
    ctx.log.info(`requesting a certificate for ${names.join(', ')} in ${want.region}`);
    arn = (
      await acm.send(
        new RequestCertificateCommand({
          DomainName: names[0],
          SubjectAlternativeNames: names,
          ValidationMethod: 'DNS',
          IdempotencyToken: certificateToken(ctx, want.region, names),
          Tags: ownershipTags(ctx, 'certificate'),
        }),
      )
    ).CertificateArn!;
  }
  if (cert?.Status === 'ISSUED') return arn;
  const records = await validationRecords(ctx, acm, arn);
  const changed = await upsertRecords(ctx, zoneId, records, `deploy-wizard ${ctx.app}/${ctx.env}: ACM validation`);
  if (changed) ctx.log.info(`wrote ${changed} validation record(s) in the zone`);
  await waitIssued(ctx, acm, arn, zoneId, records);
  return arn;
}

async function zoneOf(ctx: StepContext): Promise<string> {
  const z = await findZone(ctx, ctx.config.domain!.zone);
  if ('problem' in z)
    throw new StepError('certificate', `find hosted zone: ${z.problem}`, { hint: 'Fix domain.zone in deploy-wizard.json, or create the zone.' });
  return z.id;
}

export const certificate: StepCode<'certificate'> = {
  async inputs(ctx) {
    return {
      names: domainNames(ctx.config),
      zone: ctx.config.domain!.zone,
      wanted: wanted(ctx).map((w) => ({ uses: w.uses, region: w.region })),
      userCertificate: ctx.config.loadBalancer?.certificateArn ?? null,
    };
  },

  async preflight(ctx) {
    const z = await findZone(ctx, ctx.config.domain!.zone);
    return 'problem' in z ? [`domain.zone: ${z.problem}`] : [];
  },

  async plan(ctx) {
    const names = domainNames(ctx.config);
    const z = await findZone(ctx, ctx.config.domain!.zone);
    const items: PlanItem[] = [{ action: 'keep', resource: `Route 53 hosted zone ${ctx.config.domain!.zone}`, detail: 'id' in z ? z.id : 'missing' }];
    for (const w of wanted(ctx)) {
      const c = await findCertificate(ctx, w.acm(ctx), names);
      const what = `ACM certificate ${names.join(', ')} (${w.region}, for ${w.uses.map((u) => (u === 'edge' ? 'CloudFront' : 'the load balancer')).join(' and ')})`;
      if (!c) items.push({ action: 'create', resource: what, detail: 'DNS validation records in the zone, then wait for ISSUED' });
      else if (c.Status !== 'ISSUED') items.push({ action: 'update', resource: what, detail: `${c.Status}: write validation records, wait for ISSUED` });
      else {
        const missing = 'id' in z ? await recordsToChange(ctx, z.id, recordsOf(c)) : [];
        items.push({ action: 'keep', resource: what, detail: missing.length ? `${missing.length} validation record(s) to restore for renewal` : 'ISSUED' });
      }
    }
    return items;
  },

  async apply(ctx) {
    const names = domainNames(ctx.config);
    const zoneId = await zoneOf(ctx);
    const out: CertificateOutput = { zoneId, names };
    if (ctx.config.loadBalancer?.certificateArn && hasWebService(ctx.config)) out.regionalArn = ctx.config.loadBalancer.certificateArn;
    // Both regions validate at once: the records are the same per name, and the waits overlap.
    await Promise.all(
      wanted(ctx).map(async (w) => {
        const arn = await ensureCertificate(ctx, w, zoneId, names);
        for (const use of w.uses) out[use === 'edge' ? 'edgeArn' : 'regionalArn'] = arn;
      }),
    );
    return out;
  },

  async retired(ctx) {
    // The certificates the last run used that this config no longer needs: for names the domain dropped or
    // changed, CloudFront's once the site is gone, the load balancer's once the user brings one. Deleted after the
    // pipeline, once the listener and the distribution hold the new one (ACM refuses while in use). The user's own
    // loadBalancer.certificateArn carries no tags of ours and is never a candidate.
    const prev = ctx.previous();
    if (!prev) return [];
    // A certificate that still covers every name (an alias dropped) is kept and used, as findCertificate would.
    const names = domainNames(ctx.config);
    const stillCovers = prev.names[0] === names[0] && names.every((n) => prev.names.includes(n));
    const uses = new Set(wanted(ctx).flatMap((w) => w.uses));
    const keep = new Set(stillCovers ? [uses.has('regional') ? prev.regionalArn : undefined, uses.has('edge') ? prev.edgeArn : undefined] : []);
    const items: Teardown[] = [];
    for (const arn of new Set([prev.regionalArn, prev.edgeArn])) {
      if (!arn || keep.has(arn)) continue;
      const acm = arn.split(':')[3] === ctx.region ? ctx.aws.acm : ctx.aws.acmEdge;
      const tags = await unlessNotFound(acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn })), 'ResourceNotFoundException');
      if (!tags || !ownedBy(ctx, tags.Tags)) continue;
      items.push({
        resource: `ACM certificate for ${prev.names.join(', ')} (${arn.split(':')[3]})`,
        remove: async () => {
          // This run's outputs are read again: a certificate it chose after all is in use, not retired.
          const now = ctx.previous();
          if (now?.regionalArn === arn || now?.edgeArn === arn) return;
          await retryWhileInUse(ctx, `certificate ${arn.split('/').pop()}`, ['ResourceInUseException'], () =>
            unlessNotFound(acm.send(new DeleteCertificateCommand({ CertificateArn: arn })), 'ResourceNotFoundException'),
          );
        },
      });
    }
    return items;
  },

  async verify(ctx, out) {
    const checks: Check[] = [];
    for (const w of wanted(ctx)) {
      const arn = w.uses.includes('edge') ? out.edgeArn : out.regionalArn;
      if (!arn) {
        checks.push({ name: `certificate in ${w.region}`, ok: false, detail: 'missing' });
        continue;
      }
      try {
        const c = (await w.acm(ctx).send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate;
        // ACM renews only while the validation records stay in the zone: a deleted record is drift too.
        const missing = c?.Status === 'ISSUED' ? await recordsToChange(ctx, out.zoneId, recordsOf(c)) : [];
        const ok = c?.Status === 'ISSUED' && covers(c, out.names) && missing.length === 0;
        checks.push({
          name: `certificate ${arn}`,
          ok,
          detail: ok ? undefined : `${c?.Status}${missing.length ? `, ${missing.length} validation record(s) missing` : ''}`,
        });
      } catch (e) {
        checks.push({ name: `certificate ${arn}`, ok: false, detail: (e as Error).message });
      }
    }
    return checks;
  },

  summary(out) {
    return { rows: [['Certificate', [out.regionalArn, out.edgeArn].filter((a, i, all) => a && all.indexOf(a) === i).join(', ') || undefined]] };
  },
};
