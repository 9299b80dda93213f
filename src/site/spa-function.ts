import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  DescribeFunctionCommand,
  GetFunctionCommand,
  PublishFunctionCommand,
  UpdateFunctionCommand,
  type FunctionSummary,
} from '@aws-sdk/client-cloudfront';
import { spaFunctionName } from '../aws/names.js';
import { isError } from '../aws/not-found.js';
import { retryWhileInUse } from '../aws/retry-in-use.js';
import { partitionOf } from '../config/regions.js';
import { StepError } from '../errors.js';
import type { StepContext } from '../pipeline/context.js';
import { ownershipTags } from '../pipeline/step.js';

// The single-page fallback when the distribution also serves the app. CloudFront's custom error responses apply to
// every origin, so mapping 403 to /index.html would turn each API 403 and every WAF block into `200 index.html`.
// A CloudFront Function on the site's (default) behavior alone rewrites the browser's routes to /index.html before
// S3 is asked, and the app's answers pass untouched. The AWS example this follows:
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/example-function-add-index.html

export const SPA_FUNCTION_RUNTIME = 'cloudfront-js-2.0' as const;

/** A path whose last segment has no dot is a route the app handles in the browser; a file (with an extension) is asked for as it is. */
export const SPA_FUNCTION_CODE = `// deploy-wizard: the single-page fallback, on the site's behavior only.
function handler(event) {
  var request = event.request;
  var last = request.uri.split('/').pop();
  if (last.indexOf('.') === -1) request.uri = '/index.html';
  return request;
}
`;

/** Marks the function ours (functions are found by name; the comment is read with it, where tags take another call). */
export const spaFunctionComment = (ctx: { app: string; env: string }) => `deploy-wizard ${ctx.app}/${ctx.env}: single-page fallback`;

/** The function's ARN, known before it exists (CloudFront is global: no region in it). */
export const spaFunctionArn = (ctx: { app: string; env: string; account: string; region: string }) =>
  `arn:${partitionOf(ctx.region)}:cloudfront::${ctx.account}:function/${spaFunctionName(ctx)}`;

interface Found {
  etag: string;
  summary: FunctionSummary;
}

async function describe(ctx: StepContext, stage: 'DEVELOPMENT' | 'LIVE'): Promise<Found | undefined> {
  try {
    const r = await ctx.aws.cloudfront.send(new DescribeFunctionCommand({ Name: spaFunctionName(ctx), Stage: stage }));
    return { etag: r.ETag!, summary: r.FunctionSummary! };
  } catch (e) {
    if (isError(e, 'NoSuchFunctionExists')) return undefined;
    throw e;
  }
}

async function codeOf(ctx: StepContext, stage: 'DEVELOPMENT' | 'LIVE'): Promise<string> {
  const r = await ctx.aws.cloudfront.send(new GetFunctionCommand({ Name: spaFunctionName(ctx), Stage: stage }));
  return r.FunctionCode ? Buffer.from(r.FunctionCode).toString('utf8') : '';
}

/** Whether this stage of the function holds this runtime and this code. */
async function isCurrent(ctx: StepContext, stage: 'DEVELOPMENT' | 'LIVE', f: Found): Promise<boolean> {
  return f.summary.FunctionConfig?.Runtime === SPA_FUNCTION_RUNTIME && (await codeOf(ctx, stage)) === SPA_FUNCTION_CODE;
}

function mustBeOurs(ctx: StepContext, f: Found): void {
  if (f.summary.FunctionConfig?.Comment !== spaFunctionComment(ctx))
    throw new StepError('site', `CloudFront function ${spaFunctionName(ctx)} exists and is not this app's (its comment is not "${spaFunctionComment(ctx)}")`, {
      hint: 'Function names are unique per account: rename or delete that function, or use another app or env name.',
    });
}

/** What the plan says about the function: whether it is there, and current. */
export async function spaFunctionState(ctx: StepContext): Promise<'missing' | 'current' | 'stale' | 'foreign'> {
  const dev = await describe(ctx, 'DEVELOPMENT');
  if (!dev) return 'missing';
  if (dev.summary.FunctionConfig?.Comment !== spaFunctionComment(ctx)) return 'foreign';
  const live = await describe(ctx, 'LIVE');
  return live && (await isCurrent(ctx, 'LIVE', live)) ? 'current' : 'stale';
}

/**
 * Makes the function and publishes it (only a LIVE function can be associated), or brings an older one up to this
 * code; returns its ARN. A re-run with the function current makes no mutating call. A create whose answer was lost
 * comes back as FunctionAlreadyExists on the SDK's retry, and is then found by name.
 */
export async function ensureSpaFunction(ctx: StepContext): Promise<string> {
  const Name = spaFunctionName(ctx);
  const FunctionConfig = { Comment: spaFunctionComment(ctx), Runtime: SPA_FUNCTION_RUNTIME };
  const FunctionCode = Buffer.from(SPA_FUNCTION_CODE);
  let dev = await describe(ctx, 'DEVELOPMENT');
  if (!dev) {
    ctx.log.info(`creating CloudFront function ${Name} (the single-page fallback)`);
    try {
      const made = await ctx.aws.cloudfront.send(
        new CreateFunctionCommand({ Name, FunctionConfig, FunctionCode, Tags: { Items: ownershipTags(ctx, 'site') } }),
      );
      dev = { etag: made.ETag!, summary: made.FunctionSummary! };
    } catch (e) {
      if (!isError(e, 'FunctionAlreadyExists')) throw e;
      dev = (await describe(ctx, 'DEVELOPMENT'))!;
    }
  }
  mustBeOurs(ctx, dev);
  const arn = dev.summary.FunctionMetadata!.FunctionARN!;
  const live = await describe(ctx, 'LIVE');
  if (live && (await isCurrent(ctx, 'LIVE', live))) return arn;
  let etag = dev.etag;
  // The development copy may already be this code: made just now, or a crash between an update and its publish.
  if (!(await isCurrent(ctx, 'DEVELOPMENT', dev))) {
    ctx.log.info(`updating CloudFront function ${Name}`);
    etag = (await ctx.aws.cloudfront.send(new UpdateFunctionCommand({ Name, IfMatch: etag, FunctionConfig, FunctionCode }))).ETag!;
  }
  await ctx.aws.cloudfront.send(new PublishFunctionCommand({ Name, IfMatch: etag }));
  return arn;
}

/**
 * Deletes our function once no distribution uses it (CloudFront refuses with FunctionInUse until the distribution
 * that dropped it is deployed). A function by that name that is not ours is left alone. Says whether there was one.
 */
export async function deleteSpaFunction(ctx: StepContext, deadlineMs?: number): Promise<boolean> {
  const dev = await describe(ctx, 'DEVELOPMENT');
  if (!dev) return false;
  if (dev.summary.FunctionConfig?.Comment !== spaFunctionComment(ctx)) {
    ctx.log.warn(`CloudFront function ${spaFunctionName(ctx)} is not this app's; left as it is`);
    return false;
  }
  await retryWhileInUse(
    ctx,
    `CloudFront function ${spaFunctionName(ctx)}`,
    ['FunctionInUse'],
    async () => {
      const now = await describe(ctx, 'DEVELOPMENT');
      if (now)
        await ctx.aws.cloudfront.send(new DeleteFunctionCommand({ Name: spaFunctionName(ctx), IfMatch: now.etag })).catch((e: unknown) => {
          if (!isError(e, 'NoSuchFunctionExists')) throw e;
        });
    },
    deadlineMs,
  );
  return true;
}
