import { loadBalancerOf } from '../../src/aws/load-balancer.js';
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  CreateDistributionWithTagsCommand,
  CreateInvalidationCommand,
  CreateOriginAccessControlCommand,
  GetDistributionConfigCommand,
  GetInvalidationCommand,
  UpdateDistributionCommand,
  type DistributionConfig,
} from '@aws-sdk/client-cloudfront';
import { deleteObjects } from '../../src/aws/delete-objects.js';
import { GetBucketPolicyCommand, ListObjectsV2Command, PutBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ensureBucket, ownBuckets, probeBucket, type BucketOptions } from '../../src/aws/bucket.js';
import { distributionComment, originAccessControlName, siteBucketName } from '../../src/aws/names.js';
import { readSecretJson } from '../../src/secrets/store.js';
import { isError } from '../../src/aws/not-found.js';
import { canonicalJson } from '../../src/canonical-json.js';
import { lbHttps } from '../../src/config/https.js';
import { partitionOf } from '../../src/config/regions.js';
import { StepError } from '../../src/errors.js';
import { mapLimit } from '../../src/map-limit.js';
import type { StepContext } from '../../src/pipeline/context.js';
import { ownershipTags, type Check, type PlanItem } from '../../src/pipeline/step.js';
import { cacheControl, contentType } from '../../src/site/content-type.js';
import { distributionConfig } from '../../src/site/distribution-config.js';
import { manifestDigest, siteManifest, type SiteFile } from '../../src/site/manifest.js';
import { siteDirProblem } from '../../src/site/site-dir.js';
import { findDistribution, findOriginAccessControl, waitDeployed } from '../../src/site/distribution.js';
import { deleteSpaFunction, ensureSpaFunction, SPA_FUNCTION_CODE, spaFunctionArn, spaFunctionState } from '../../src/site/spa-function.js';
import { subsetEqual } from '../../src/subset-equal.js';
import { waitFor } from '../../src/wait.js';
import { cdnRoutes } from '../../src/config/features.js';
import type { StepCode } from '../../src/pipeline/manifest.js';

export interface SiteOutput {
  /** The site's bucket, files and their digest; absent for a CDN in front of the app alone (edge.cdn). */
  bucket?: string;
  files?: number;
  /** Digest of every file's name and content as uploaded. */
  digest?: string;
  distributionId: string;
  distributionArn: string;
  /** The distribution's own name (dxxxx.cloudfront.net): where alias records point. */
  domainName: string;
  /** The site's public URL: the domain when there is one. */
  url: string;
  /** The last invalidation this step created, and how many paths it named. */
  invalidation?: { id: string; paths: string[] };
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    site: SiteOutput;
  }
}

/** Past this many changed paths one `/*` is cheaper (AWS bills per path after the first 1,000 a month) and as exact. */
const INVALIDATE_ALL_OVER = 20;
const PENDING = 'site:pending';
/** moto drops OriginAccessControlId and S3OriginConfig from the origins it returns; AWS always returns it, so a present one is still compared. */
// moto keeps neither the origin access control nor an origin's custom headers; AWS echoes both.
const EMULATOR_DROPS = new Set(['OriginAccessControlId', 'S3OriginConfig', 'OriginCustomHeaders']);

const siteDir = (ctx: StepContext) => resolve(ctx.configDir, ctx.config.site!.dir);
const bucketOf = (ctx: StepContext) => siteBucketName(ctx);
const bucketOptions: BucketOptions = {
  step: 'site',
  versioning: false,
  renameHint: 'The site bucket is named <app>-<env>-site-<account>; rename the bucket that holds that name, or use another app name.',
};
const webRoutes = (ctx: StepContext) => cdnRoutes(ctx.config);

/** With web routes on the distribution, the SPA fallback is a function on the site's behavior, not an error page for every origin. */
export const usesSpaFunction = (ctx: StepContext) => !!ctx.config.site?.spa && webRoutes(ctx).length > 0;

async function runBuild(ctx: StepContext): Promise<void> {
  const [cmd, ...args] = ctx.config.site!.build!;
  ctx.log.info(`building the site: ${ctx.config.site!.build!.join(' ')}`);
  const env = Object.fromEntries(Object.entries(ctx.settings.buildEnv).filter((e): e is [string, string] => e[1] !== undefined));
  const tail: string[] = [];
  const idleS = ctx.config.site!.buildIdleTimeoutSeconds;
  let stalled = false;
  const code = await new Promise<number>((done, fail) => {
    const p = spawn(cmd!, args, { cwd: ctx.configDir, env, signal: ctx.signal, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    // As image builds are: quiet past the limit means hung (a prompt waiting for input, a watch mode), not slow.
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        stalled = true;
        // The whole process group: a build tool's own children (esbuild, a bundler's workers) go too.
        try {
          process.kill(-p.pid!, 'SIGKILL');
        } catch {
          p.kill('SIGKILL');
        }
      }, idleS * 1000);
      idle.unref();
    };
    arm();
    p.on('close', () => clearTimeout(idle));
    const keep = (b: Buffer) => {
      arm();
      for (const line of b.toString().split('\n').filter(Boolean)) {
        ctx.log.debug(line);
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
    };
    p.stdout.on('data', keep);
    p.stderr.on('data', keep);
    p.on('error', fail);
    p.on('close', (c) => done(c ?? 1));
  }).catch((e: Error) => {
    throw new StepError('site', `build site: ${e.message}`, { hint: 'Check site.build in deploy-wizard.json: the first element is the program to run.' });
  });
  if (stalled)
    throw new StepError('site', `build site: ${ctx.config.site!.build!.join(' ')} printed nothing for ${idleS}s, so it was stopped rather than left hanging`, {
      hint: 'Check that it does not wait for input or watch for changes (run it yourself), or raise site.buildIdleTimeoutSeconds for a build with long silent steps.',
    });
  if (code !== 0) {
    // The output goes through the logger, which redacts secret values; an error message would not.
    for (const line of tail) ctx.log.info(`build: ${line}`);
    throw new StepError('site', `build site: ${ctx.config.site!.build!.join(' ')} exited with ${code} (its last lines are above)`, {
      hint: 'Fix the build (run the same command yourself to see all of it), then run again.',
    });
  }
}

// Every file is read and hashed once per run: inputs, plan and apply share it. With site.build the
// files change during apply, so the build's own run reads them afresh.
const read = new WeakMap<StepContext, Promise<SiteFile[]>>();
function filesOf(ctx: StepContext): Promise<SiteFile[]> {
  if (ctx.config.site!.build) return siteManifest(siteDir(ctx));
  let m = read.get(ctx);
  if (!m) read.set(ctx, (m = siteManifest(siteDir(ctx))));
  return m;
}

async function manifest(ctx: StepContext): Promise<SiteFile[]> {
  const problem = siteDirProblem(ctx.configDir, ctx.config.site!, true);
  if (problem) throw new StepError('site', `read site: ${problem}`, { hint: 'Fix site.dir (or site.build) in deploy-wizard.json.' });
  return filesOf(ctx);
}

/** Key → MD5 of what the bucket holds (the ETag of a one-part SSE-S3 object). */
async function bucketContents(ctx: StepContext, bucket: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let ContinuationToken: string | undefined;
  do {
    const page = await ctx.aws.s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken }));
    for (const o of page.Contents ?? []) if (o.Key) out.set(o.Key, (o.ETag ?? '').replaceAll('"', ''));
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return out;
}

function diff(files: SiteFile[], have: Map<string, string>) {
  const keys = new Set(files.map((f) => f.key));
  return { upload: files.filter((f) => have.get(f.key) !== f.md5), remove: [...have.keys()].filter((k) => !keys.has(k)) };
}

/** Uploads assets before HTML, so a page never names an asset that is not there yet; deletes only after. */
async function sync(ctx: StepContext, bucket: string, upload: SiteFile[], remove: string[]): Promise<void> {
  const html = (f: SiteFile) => /\.html?$/i.test(f.key);
  // A buffer, not a stream: the SDK replays a buffer on a retry (a 503 SlowDown), and cannot replay a stream it has read.
  // Eight at a time keeps memory at eight files.
  const put = async (f: SiteFile) =>
    ctx.aws.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: f.key,
        Body: await readFile(join(siteDir(ctx), f.key)),
        ContentLength: f.size,
        ContentType: contentType(f.key),
        CacheControl: cacheControl(f.key),
        ContentMD5: Buffer.from(f.md5, 'hex').toString('base64'),
      }),
    );
  await mapLimit(
    upload.filter((f) => !html(f)),
    8,
    put,
  );
  await mapLimit(upload.filter(html), 8, put);
  await deleteObjects(
    ctx.aws.s3,
    bucket,
    remove.map((Key) => ({ Key })),
  );
}

async function ensureOriginAccessControl(ctx: StepContext): Promise<string> {
  const name = originAccessControlName(ctx);
  const find = () => findOriginAccessControl(ctx);
  const found = await find();
  if (found) return found;
  // Names are unique per account, so a crash after the create is found by name (OACs take no tags).
  try {
    const res = await ctx.aws.cloudfront.send(
      new CreateOriginAccessControlCommand({
        OriginAccessControlConfig: {
          Name: name,
          Description: `deploy-wizard ${ctx.app}/${ctx.env}: CloudFront reads the site bucket`,
          SigningProtocol: 'sigv4',
          SigningBehavior: 'always',
          OriginAccessControlOriginType: 's3',
        },
      }),
    );
    return res.OriginAccessControl!.Id!;
  } catch (e) {
    if (!isError(e, 'OriginAccessControlAlreadyExists')) throw e;
    return (await find())!;
  }
}

/** Behind the CDN, the origin header's value (registered for redaction as it is read); undefined otherwise. */
async function originSecretOf(ctx: StepContext): Promise<string | undefined> {
  const arn = loadBalancerOf(ctx)?.originVerifySecretArn;
  if (!arn) return undefined;
  const v = (await readSecretJson(ctx, arn))?.value;
  if (!v)
    throw new StepError('site', `read the origin header: the secret ${arn} has no value`, { hint: 'Run the deploy again: the load-balancer step makes it.' });
  return v;
}

function wantConfig(ctx: StepContext, oacId: string, callerReference: string, originSecret: string | undefined): DistributionConfig {
  const lb = loadBalancerOf(ctx);
  const cert = ctx.config.domain ? ctx.output('certificate') : undefined;
  return distributionConfig({
    comment: distributionComment(ctx),
    callerReference,
    ...(ctx.config.site ? { bucketDomain: `${bucketOf(ctx)}.s3.${ctx.region}.amazonaws.com` } : {}),
    originAccessControlId: oacId,
    app: lb
      ? { dnsName: lb.dnsName, https: lbHttps(ctx.config) && !!ctx.config.domain, routes: webRoutes(ctx), ...(originSecret ? { originSecret } : {}) }
      : undefined,
    aliases: cert?.names ?? [],
    certificateArn: cert?.edgeArn,
    webAclArn: ctx.config.edge?.waf ? ctx.output('waf').arn : undefined,
    spa: !!ctx.config.site?.spa,
    ...(usesSpaFunction(ctx) ? { spaFunctionArn: spaFunctionArn(ctx) } : {}),
    notFoundPage: !!ctx.config.site && existsSync(join(siteDir(ctx), '404.html')),
  });
}

/** Finds, creates or updates the distribution; says whether it changed (then it deploys for a while). */
async function ensureDistribution(
  ctx: StepContext<'site'>,
  oacId: string,
): Promise<{ id: string; arn: string; domainName: string; changed: boolean; created: boolean }> {
  const found = await findDistribution(ctx);
  if (!found) {
    // The caller reference is recorded first: a retry with it cannot make a twin, and the tags find it on any later run.
    const callerReference = String(ctx.intents.get('distribution')?.callerReference ?? `${ctx.app}-${ctx.env}-${randomUUID()}`);
    await ctx.intents.record('distribution', { callerReference });
    ctx.log.info('creating the CloudFront distribution');
    const d = (
      await ctx.aws.cloudfront.send(
        new CreateDistributionWithTagsCommand({
          DistributionConfigWithTags: {
            DistributionConfig: wantConfig(ctx, oacId, callerReference, await originSecretOf(ctx)),
            Tags: { Items: ownershipTags(ctx, 'site') },
          },
        }),
      )
    ).Distribution!;
    return { id: d.Id!, arn: d.ARN!, domainName: d.DomainName!, changed: true, created: true };
  }
  const got = await ctx.aws.cloudfront.send(new GetDistributionConfigCommand({ Id: found.id }));
  const have = got.DistributionConfig!;
  const want = wantConfig(ctx, oacId, have.CallerReference!, await originSecretOf(ctx));
  if (subsetEqual(have, want, EMULATOR_DROPS)) return { ...found, changed: false, created: false };
  ctx.log.info('updating the CloudFront distribution');
  await ctx.aws.cloudfront.send(new UpdateDistributionCommand({ Id: found.id, IfMatch: got.ETag, DistributionConfig: { ...have, ...want } }));
  return { ...found, changed: true, created: false };
}

const bucketPolicy = (ctx: StepContext, distributionArn: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'CloudFrontReadsSite',
      Effect: 'Allow',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Resource: `arn:${partitionOf(ctx.region)}:s3:::${bucketOf(ctx)}/*`,
      Condition: { StringEquals: { 'AWS:SourceArn': distributionArn } },
    },
  ],
});

async function policyDrift(ctx: StepContext, distributionArn: string): Promise<boolean> {
  try {
    const p = (await ctx.aws.s3.send(new GetBucketPolicyCommand({ Bucket: bucketOf(ctx) }))).Policy;
    return !p || canonicalJson(JSON.parse(p)) !== canonicalJson(bucketPolicy(ctx, distributionArn));
  } catch (e) {
    if (isError(e, 'NoSuchBucketPolicy')) return true;
    throw e;
  }
}

/** Paths as CloudFront names them: `/key`, and `/` too for the root page. */
function invalidationPaths(keys: string[]): string[] {
  const paths = new Set<string>();
  for (const k of keys) {
    paths.add(`/${k.split('/').map(encodeURIComponent).join('/')}`);
    if (k === 'index.html') paths.add('/');
  }
  return paths.size > INVALIDATE_ALL_OVER ? ['/*'] : [...paths].sort();
}

async function invalidate(ctx: StepContext, distributionId: string, keys: string[], files: SiteFile[]): Promise<{ id: string; paths: string[] }> {
  const paths = invalidationPaths(keys);
  // The same paths with the same content give the same reference, so a repeat after a crash returns the first
  // invalidation; the content is in it, so a file changed again is invalidated again (CloudFront returns the
  // earlier invalidation for a reused reference and invalidates nothing).
  const md5 = new Map(files.map((f) => [f.key, f.md5]));
  const CallerReference = createHash('sha256')
    .update(`${distributionId}\n${keys.map((k) => `${k}\0${md5.get(k) ?? 'deleted'}`).join('\n')}`)
    .digest('hex')
    .slice(0, 64);
  const inv = (
    await ctx.aws.cloudfront.send(
      new CreateInvalidationCommand({
        DistributionId: distributionId,
        InvalidationBatch: { CallerReference, Paths: { Quantity: paths.length, Items: paths } },
      }),
    )
  ).Invalidation!;
  ctx.log.info(`invalidating ${paths.length === 1 && paths[0] === '/*' ? 'everything (/*)' : `${paths.length} path(s)`} on the CDN`);
  if (ctx.config.site!.waitForInvalidation) {
    await waitFor({
      stepId: 'site',
      what: `CDN invalidation ${inv.Id}`,
      clock: ctx.clock,
      signal: ctx.signal,
      deadlineMs: 20 * 60_000,
      typical: '1-5 min',
      onStatus: (l) => ctx.log.info(l),
      poll: async () => {
        const s = (await ctx.aws.cloudfront.send(new GetInvalidationCommand({ DistributionId: distributionId, Id: inv.Id }))).Invalidation?.Status ?? 'unknown';
        return { done: s === 'Completed', status: s };
      },
    });
  }
  return { id: inv.Id!, paths };
}

// One token per process: with site.build the step runs on every deploy (the build decides what changed), and uploads only what did.
const BUILD_RUN = randomUUID();

/** edge.cdn: the distribution in front of the load balancer, with no bucket, files or origin access control. */
async function applyCdnOnly(ctx: StepContext<'site'>): Promise<SiteOutput> {
  const dist = await ensureDistribution(ctx, '');
  if (dist.changed) await waitDeployed(ctx, dist.id);
  // A site that became edge.cdn leaves its fallback function, once the distribution no longer names it.
  if (await deleteSpaFunction(ctx, 10 * 60_000)) ctx.log.info('deleted the single-page fallback function: no longer needed');
  return {
    distributionId: dist.id,
    distributionArn: dist.arn,
    domainName: dist.domainName,
    url: `https://${ctx.config.domain?.name ?? dist.domainName}`,
  };
}

export const site: StepCode<'site'> = {
  async inputs(ctx) {
    const s = ctx.config.site;
    return {
      ...(s
        ? {
            dir: s.dir,
            spa: s.spa,
            content: s.build ? { build: s.build, run: BUILD_RUN } : siteDirProblem(ctx.configDir, s) ? 'missing' : manifestDigest(await filesOf(ctx)),
            bucket: bucketOf(ctx),
          }
        : { cdnOnly: true }),
      lb: loadBalancerOf(ctx)?.dnsName ?? null,
      // The version the load balancer's routes were set from: a rotated secret reaches CloudFront too.
      originSecret: loadBalancerOf(ctx)?.originSecretVersion ?? null,
      routes: webRoutes(ctx),
      // A new version of the function's code is a change to deploy.
      spaFunction: usesSpaFunction(ctx) ? createHash('sha256').update(SPA_FUNCTION_CODE).digest('hex').slice(0, 16) : null,
      certificate: ctx.config.domain ? (ctx.output('certificate').edgeArn ?? null) : null,
      waf: ctx.config.edge?.waf ? ctx.output('waf').arn : null,
    };
  },

  async plan(ctx) {
    if (!ctx.config.site) {
      const found = await findDistribution(ctx).catch(() => undefined);
      return [
        {
          action: found ? 'keep' : 'create',
          resource: 'CloudFront distribution',
          detail: "every route to the load balancer (which then admits CloudFront only), cached as the app's Cache-Control says, HTTPS",
        },
      ];
    }
    const items: PlanItem[] = [];
    const bucket = bucketOf(ctx);
    const exists = (await probeBucket(ctx, bucket, await ownBuckets(ctx), bucketOptions)) === 'exists';
    items.push({ action: exists ? 'keep' : 'create', resource: `S3 bucket ${bucket}`, detail: 'private, encrypted, read only by the distribution' });
    if (ctx.config.site!.build)
      items.push({
        action: 'update',
        resource: `site files in ${ctx.config.site!.dir}`,
        detail: `build with ${ctx.config.site!.build.join(' ')}, upload what changed`,
      });
    else if (!siteDirProblem(ctx.configDir, ctx.config.site!)) {
      const d = diff(await filesOf(ctx), exists ? await bucketContents(ctx, bucket) : new Map());
      const n = d.upload.length + d.remove.length;
      items.push({
        action: n ? 'update' : 'keep',
        resource: `site files in ${ctx.config.site!.dir}`,
        detail: n ? `upload ${d.upload.length}, delete ${d.remove.length}` : 'unchanged',
      });
    }
    const fn = await spaFunctionState(ctx).catch(() => 'missing' as const);
    if (usesSpaFunction(ctx) || fn === 'current' || fn === 'stale')
      items.push({
        action: !usesSpaFunction(ctx) ? 'delete' : fn === 'current' ? 'keep' : fn === 'stale' ? 'update' : 'create',
        resource: 'CloudFront function (single-page fallback)',
        detail: usesSpaFunction(ctx) ? "routes without a file extension answer /index.html, on the site's paths only" : 'no longer needed',
      });
    const found = await findDistribution(ctx).catch(() => undefined);
    items.push({
      action: found ? 'keep' : 'create',
      resource: 'CloudFront distribution',
      detail: `origin access control, ${ctx.config.site!.spa ? 'SPA fallback, ' : ''}${webRoutes(ctx).length ? `${webRoutes(ctx).join(' ')} to the load balancer, ` : ''}HTTPS`,
    });
    return items;
  },

  async apply(ctx) {
    if (!ctx.config.site) return applyCdnOnly(ctx);
    if (ctx.config.site!.build) await runBuild(ctx);
    const files = await manifest(ctx);
    const bucket = bucketOf(ctx);
    await ensureBucket(ctx, bucket, await probeBucket(ctx, bucket, await ownBuckets(ctx), bucketOptions), bucketOptions);
    const { upload, remove } = diff(files, await bucketContents(ctx, bucket));
    // What changed since the CDN last dropped its copies, kept across a crash between the upload and the invalidation.
    const pending = new Set([
      ...String(ctx.intents.get(PENDING)?.keys ?? '')
        .split('\n')
        .filter(Boolean),
      ...upload.map((f) => f.key),
      ...remove,
    ]);
    if (upload.length || remove.length) {
      await ctx.intents.record(PENDING, { keys: [...pending].sort().join('\n') });
      ctx.log.info(`site: uploading ${upload.length} file(s), deleting ${remove.length}`);
      await sync(ctx, bucket, upload, remove);
    }
    const oac = await ensureOriginAccessControl(ctx);
    // Published before the distribution names it: CloudFront associates only a LIVE function.
    if (usesSpaFunction(ctx)) await ensureSpaFunction(ctx);
    const dist = await ensureDistribution(ctx, oac);
    if (await policyDrift(ctx, dist.arn)) {
      await ctx.aws.s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(bucketPolicy(ctx, dist.arn)) }));
    }
    let invalidation = ctx.previous()?.invalidation;
    if (pending.size && !dist.created) invalidation = await invalidate(ctx, dist.id, [...pending].sort(), files);
    if (pending.size) await ctx.intents.clear(PENDING);
    if (dist.changed) await waitDeployed(ctx, dist.id);
    // Deleted only once the deployed distribution no longer uses it.
    if (!usesSpaFunction(ctx) && (await deleteSpaFunction(ctx, 10 * 60_000))) ctx.log.info('deleted the single-page fallback function: no longer needed');
    return {
      bucket,
      files: files.length,
      digest: manifestDigest(files),
      distributionId: dist.id,
      distributionArn: dist.arn,
      domainName: dist.domainName,
      url: `https://${ctx.config.domain?.name ?? dist.domainName}`,
      ...(invalidation ? { invalidation } : {}),
    };
  },

  async verify(ctx, out) {
    const checks: Check[] = [];
    try {
      const got = await ctx.aws.cloudfront.send(new GetDistributionConfigCommand({ Id: out.distributionId }));
      const oac = got.DistributionConfig?.Origins?.Items?.find((o) => o.Id === 'site')?.OriginAccessControlId;
      const want = wantConfig(ctx, oac ?? '', got.DistributionConfig?.CallerReference ?? '', await originSecretOf(ctx));
      const ok = subsetEqual(got.DistributionConfig, want, EMULATOR_DROPS);
      checks.push({ name: `distribution ${out.distributionId}`, ok, detail: ok ? undefined : 'configuration differs' });
      if (ctx.config.site) checks.push({ name: `bucket policy ${out.bucket}`, ok: !(await policyDrift(ctx, out.distributionArn)) });
      if (usesSpaFunction(ctx)) {
        const fn = await spaFunctionState(ctx);
        checks.push({ name: 'single-page fallback function', ok: fn === 'current', detail: fn === 'current' ? undefined : fn });
      }
    } catch (e) {
      checks.push({ name: `distribution ${out.distributionId}`, ok: false, detail: (e as Error).message });
    }
    return checks;
  },

  summary(out) {
    if (out.files === undefined) return { rows: [['CDN', `${out.domainName}, in front of the load balancer`]] };
    return {
      rows: [
        ['Site', out.url],
        ['CDN', `${out.domainName} (${out.files} files)`],
      ],
    };
  },
};
