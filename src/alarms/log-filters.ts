import { DeleteMetricFilterCommand, DescribeMetricFiltersCommand, PutMetricFilterCommand, type MetricFilter } from '@aws-sdk/client-cloudwatch-logs';
import type { StepContext } from '../pipeline/context.js';
import type { LogPattern } from '../config/alarms-schema.js';
import { logGroupName } from '../aws/names.js';
import { alarmPrefix, logMetricNamespace } from './alarm-specs.js';
import { unlessNotFound } from '../aws/not-found.js';

// alarms.logPatterns: a metric filter on the app's log group per pattern, counting matching lines into a metric
// of the app's own namespace, which the log alarm watches. Metric filters take no tags: ours are those named
// <app>-<env>-log-<name> on our own log group.

const filterName = (ctx: Pick<StepContext, 'app' | 'env'>, name: string) => `${alarmPrefix(ctx)}log-${name}`;

export async function ourFilters(ctx: StepContext): Promise<MetricFilter[]> {
  const out: MetricFilter[] = [];
  let nextToken: string | undefined;
  do {
    const page = await unlessNotFound(
      ctx.aws.logs.send(new DescribeMetricFiltersCommand({ logGroupName: logGroupName(ctx), filterNamePrefix: `${alarmPrefix(ctx)}log-`, nextToken })),
      'ResourceNotFoundException',
    );
    out.push(...(page?.metricFilters ?? []));
    nextToken = page?.nextToken;
  } while (nextToken);
  return out;
}

const wanted = (ctx: StepContext, p: LogPattern) => ({
  filterName: filterName(ctx, p.name),
  filterPattern: p.pattern,
  metricTransformations: [{ metricName: p.name, metricNamespace: logMetricNamespace(ctx), metricValue: '1', defaultValue: 0 }],
});

const same = (have: MetricFilter, want: ReturnType<typeof wanted>) => {
  const t = have.metricTransformations?.[0];
  const w = want.metricTransformations[0]!;
  return (
    have.filterPattern === want.filterPattern &&
    t?.metricName === w.metricName &&
    t?.metricNamespace === w.metricNamespace &&
    t?.metricValue === w.metricValue &&
    Number(t?.defaultValue ?? NaN) === w.defaultValue
  );
};

/** Puts each pattern's filter when missing or different, and deletes ours no longer listed. Returns what changed. */
export async function convergeLogFilters(ctx: StepContext, patterns: readonly LogPattern[], dryRun = false): Promise<string[]> {
  const have = await ourFilters(ctx);
  const changes: string[] = [];
  for (const p of patterns) {
    const want = wanted(ctx, p);
    const h = have.find((f) => f.filterName === want.filterName);
    if (h && same(h, want)) continue;
    changes.push(`${h ? 'update' : 'create'} metric filter ${want.filterName}`);
    if (!dryRun) await ctx.aws.logs.send(new PutMetricFilterCommand({ logGroupName: logGroupName(ctx), ...want }));
  }
  for (const f of have) {
    if (patterns.some((p) => filterName(ctx, p.name) === f.filterName)) continue;
    changes.push(`delete metric filter ${f.filterName}`);
    if (!dryRun)
      await unlessNotFound(
        ctx.aws.logs.send(new DeleteMetricFilterCommand({ logGroupName: logGroupName(ctx), filterName: f.filterName })),
        'ResourceNotFoundException',
      );
  }
  return changes;
}
