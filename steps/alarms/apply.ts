import { loadBalancerOf } from '../../src/aws/load-balancer.js';
import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  GetDashboardCommand,
  ListTagsForResourceCommand as ListAlarmTagsCommand,
  PutDashboardCommand,
  PutMetricAlarmCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { DescribeReplicationGroupsCommand } from '@aws-sdk/client-elasticache';
import type { StepContext } from '../../src/pipeline/context.js';
import { ownedBy, ownershipTags, type Check, type PlanItem } from '../../src/pipeline/step.js';
import { convergeLogFilters } from '../../src/alarms/log-filters.js';
import { alarmPrefix, alarmSpecs, dashboardBody, type AlarmSpec, type Watched } from '../../src/alarms/alarm-specs.js';
import { ensureAlarmTopic, findAlarmTopic } from '../../src/alarms/alarm-topic.js';
import { thresholds } from '../../src/config/alarms-schema.js';
import { subsetEqual } from '../../src/subset-equal.js';
import { canonicalJson } from '../../src/canonical-json.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { ecsServiceName, topicName, clusterName, dashboardName, logGroupName, scheduleDlqName } from '../../src/aws/names.js';
import { rdsIdentifier, replicationGroupId, slackConfigName } from '../../src/aws/names.js';
import type { StepCode } from '../../src/pipeline/manifest.js';
import { ensureSlackChannel, planSlackChannel, removeSlackChannel, SLACK_INTENT, slackWorkspaceProblem } from '../../src/alarms/slack-channel.js';

/** A Slack channel this env had and the config no longer asks for: the last run's output, or a create a kill interrupted. */
const hadSlack = (ctx: StepContext<'alarms'>) => !ctx.config.alarms!.slack && !!(ctx.previous()?.slack || ctx.intents.get(SLACK_INTENT));

export interface AlarmsOutput {
  topicArn: string;
  keyArn: string;
  alarms: string[];
  dashboard: string;
  /** Addresses subscribed; each must confirm once from the e-mail SNS sends. */
  email: string[];
  /** alarms.slack: the AWS Chatbot configuration posting the alarms to that channel. */
  slack?: { configurationArn: string; workspaceId: string; channelId: string };
}

declare module '../../src/pipeline/outputs.js' {
  interface StepOutputs {
    alarms: AlarmsOutput;
  }
}

/** What the alarms watch, from the service step's outputs and the data stores' deterministic names. */
async function watched(ctx: StepContext): Promise<Watched> {
  const svc = ctx.output('service');
  const after = (arn: string | undefined, marker: string) => (arn ? arn.slice(arn.indexOf(marker) + marker.length) : undefined);
  let cacheNodes: string[] = [];
  if (ctx.config.cache) {
    const g = (await ctx.aws.elasticache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: replicationGroupId(ctx.app, ctx.env) })))
      .ReplicationGroups?.[0];
    cacheNodes = [...(g?.MemberClusters ?? [])].sort();
  }
  return {
    app: ctx.app,
    env: ctx.env,
    loadBalancer: after(loadBalancerOf(ctx)?.loadBalancerArn, ':loadbalancer/'),
    targetGroups: Object.entries(svc.services)
      .filter(([, s]) => s.targetGroupArn)
      .map(([service, s]) => ({ service, dimension: after(s.targetGroupArn, ':')!.replace(/^.*?(targetgroup\/)/, '$1') })),
    cluster: svc.clusterName ?? clusterName(ctx),
    services: Object.keys(ctx.config.services).map((name) => ({ name, serviceName: svc.services[name]?.serviceName ?? ecsServiceName(ctx, name) })),
    // The instance that holds the data now: a restore's, once `db restore` moved the app to it.
    database: ctx.config.database ? (ctx.output('rds').identifier ?? rdsIdentifier(ctx.app, ctx.env)) : undefined,
    databaseIsCluster: ctx.config.database?.engine === 'aurora-postgresql',
    ...(ctx.config.database?.serverless ? { databaseMaxAcu: ctx.config.database.serverless.maxAcu } : {}),
    cacheNodes,
    ...(Object.keys(ctx.config.schedules).length ? { scheduleDlq: scheduleDlqName(ctx) } : {}),
    // Only when there are some, so configs without them keep their input hash.
    ...(ctx.config.alarms!.custom.length ? { custom: ctx.config.alarms!.custom } : {}),
    ...(ctx.config.alarms!.logPatterns.length ? { logPatterns: ctx.config.alarms!.logPatterns } : {}),
  };
}

const wantThresholds = (ctx: StepContext) => thresholds.parse(ctx.config.alarms!.thresholds);

/** Our alarms as CloudWatch has them, by name (found by prefix; the tags decide before anything is deleted). */
async function existing(ctx: StepContext): Promise<Map<string, MetricAlarm>> {
  const out = new Map<string, MetricAlarm>();
  let NextToken: string | undefined;
  do {
    const page = await ctx.aws.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: alarmPrefix(ctx), AlarmTypes: ['MetricAlarm'], NextToken }));
    for (const a of page.MetricAlarms ?? []) out.set(a.AlarmName!, a);
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

const sortDims = <T extends { Name?: string }>(d: T[] | undefined) => [...(d ?? [])].sort((a, b) => (a.Name ?? '').localeCompare(b.Name ?? ''));

/** True when the alarm in CloudWatch is the one wanted. Emulators do not echo metric-math alarms' queries in full, so those compare what they do echo. */
function sameAlarm(have: MetricAlarm | undefined, want: AlarmSpec): boolean {
  if (!have) return false;
  const { Tags: _t, Metrics, Dimensions, ...rest } = want;
  const h = { ...have, Dimensions: sortDims(have.Dimensions) };
  if (
    !subsetEqual(h, { ...rest, ...(Dimensions ? { Dimensions: sortDims(Dimensions) } : {}) }, new Set(['DatapointsToAlarm', 'ExtendedStatistic', 'OKActions']))
  )
    return false;
  return (
    !Metrics ||
    !have.Metrics?.length ||
    canonicalJson(have.Metrics.map((m) => m.Expression ?? m.MetricStat?.Metric?.MetricName)) ===
      canonicalJson(Metrics.map((m) => m.Expression ?? m.MetricStat?.Metric?.MetricName))
  );
}

async function isOurs(ctx: StepContext, arn: string | undefined): Promise<boolean> {
  if (!arn) return false;
  return ownedBy(ctx, (await ctx.aws.cloudwatch.send(new ListAlarmTagsCommand({ ResourceARN: arn }))).Tags);
}

export const alarms: StepCode<'alarms'> = {
  async inputs(ctx) {
    return {
      email: [...ctx.config.alarms!.email].sort(),
      thresholds: wantThresholds(ctx),
      watched: await watched(ctx),
      region: ctx.region,
      ...(ctx.config.budget?.anomalyDetection ? { costAlerts: true } : {}),
      // Only when set, so configs without it keep their input hash; a removed channel changes it too.
      ...(ctx.config.alarms!.slack ? { slack: ctx.config.alarms!.slack } : hadSlack(ctx) ? { slack: 'removed' } : {}),
    };
  },

  async preflight(ctx) {
    const slack = ctx.config.alarms!.slack;
    const problem = slack && (await slackWorkspaceProblem(ctx, slack.workspaceId));
    return problem ? [problem] : [];
  },

  async plan(ctx) {
    const items: PlanItem[] = [];
    const topic = await findAlarmTopic(ctx);
    items.push({
      action: topic ? 'keep' : 'create',
      resource: `SNS topic ${topicName(ctx)}`,
      detail: `encrypted; e-mails ${ctx.config.alarms!.email.join(', ')}`,
    });
    const have = await existing(ctx);
    const specs = alarmSpecs(await watched(ctx), wantThresholds(ctx), topic?.arn ?? 'pending');
    for (const s of specs) {
      const h = have.get(s.AlarmName);
      items.push({
        action: !h ? 'create' : topic && sameAlarm(h, s) ? 'keep' : 'update',
        resource: `alarm ${s.AlarmName}`,
        detail: `${s.ComparisonOperator} ${s.Threshold}`,
      });
    }
    for (const name of have.keys())
      if (!specs.some((s) => s.AlarmName === name)) items.push({ action: 'delete', resource: `alarm ${name}`, detail: 'no longer watched' });
    for (const change of await convergeLogFilters(ctx, ctx.config.alarms!.logPatterns, true)) {
      const [verb, ...rest] = change.split(' ');
      items.push({ action: verb as PlanItem['action'], resource: rest.join(' '), detail: `on ${logGroupName(ctx)}` });
    }
    items.push({ action: 'update', resource: `dashboard ${dashboardName(ctx)}`, detail: 'changed only if it differs' });
    if (ctx.config.alarms!.slack) items.push({ resource: `AWS Chatbot configuration ${slackConfigName(ctx)}`, ...(await planSlackChannel(ctx, topic?.arn)) });
    else if (hadSlack(ctx))
      items.push({ action: 'delete', resource: `AWS Chatbot configuration ${slackConfigName(ctx)} and its role`, detail: 'alarms.slack removed' });
    return items;
  },

  async apply(ctx) {
    // Cost Anomaly Detection (budget.anomalyDetection) publishes to the topic too.
    const topic = await ensureAlarmTopic(ctx, ctx.config.alarms!.email, !!ctx.config.budget?.anomalyDetection);
    // The filters first: a log alarm watches the metric its filter publishes.
    for (const change of await convergeLogFilters(ctx, ctx.config.alarms!.logPatterns)) ctx.log.info(change);
    const specs = alarmSpecs(await watched(ctx), wantThresholds(ctx), topic.arn);
    const have = await existing(ctx);
    for (const s of specs) {
      if (sameAlarm(have.get(s.AlarmName), s)) continue;
      ctx.log.info(`${have.has(s.AlarmName) ? 'updating' : 'creating'} alarm ${s.AlarmName}`);
      // PutMetricAlarm creates or replaces; tags are taken at creation only.
      await ctx.aws.cloudwatch.send(new PutMetricAlarmCommand({ ...s, Tags: ownershipTags(ctx, 'alarms') }));
    }
    const stale: string[] = [];
    for (const [name, a] of have) if (!specs.some((s) => s.AlarmName === name) && (await isOurs(ctx, a.AlarmArn))) stale.push(name);
    // DeleteAlarms takes up to 100 names a call.
    for (let i = 0; i < stale.length; i += 100) await ctx.aws.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: stale.slice(i, i + 100) }));
    if (stale.length) ctx.log.info(`deleted ${stale.length} alarm(s) no longer watched: ${stale.join(', ')}`);

    const body = dashboardBody(specs, ctx.region);
    const current = await unlessNotFound(
      ctx.aws.cloudwatch.send(new GetDashboardCommand({ DashboardName: dashboardName(ctx) })),
      'ResourceNotFound',
      'ResourceNotFoundException',
    );
    if (!current?.DashboardBody || canonicalJson(JSON.parse(current.DashboardBody)) !== canonicalJson(JSON.parse(body)))
      await ctx.aws.cloudwatch.send(new PutDashboardCommand({ DashboardName: dashboardName(ctx), DashboardBody: body }));

    const slack = ctx.config.alarms!.slack;
    let slackOut: AlarmsOutput['slack'];
    if (slack) {
      // Recorded before the create: a kill after it, then alarms.slack removed, still finds the configuration to delete.
      if (!ctx.intents.get(SLACK_INTENT)) await ctx.intents.record(SLACK_INTENT, { name: slackConfigName(ctx) });
      slackOut = { configurationArn: await ensureSlackChannel(ctx, topic.arn), ...slack };
    } else if (hadSlack(ctx)) {
      for (const gone of await removeSlackChannel(ctx)) ctx.log.info(`deleted ${gone} (alarms.slack removed)`);
      await ctx.intents.clear(SLACK_INTENT);
    }
    return {
      topicArn: topic.arn,
      keyArn: topic.keyArn,
      alarms: specs.map((s) => s.AlarmName),
      dashboard: dashboardName(ctx),
      email: [...ctx.config.alarms!.email].sort(),
      ...(slackOut ? { slack: slackOut } : {}),
    };
  },

  async verify(ctx, out) {
    const topic = await findAlarmTopic(ctx);
    const have = await existing(ctx);
    const checks: Check[] = [{ name: `SNS topic ${topicName(ctx)}`, ok: topic?.arn === out.topicArn }];
    const missing = out.alarms.filter((n) => !have.has(n));
    checks.push({ name: 'alarms', ok: missing.length === 0, detail: missing.length ? `missing: ${missing.join(', ')}` : `${out.alarms.length}` });
    const filters = await convergeLogFilters(ctx, ctx.config.alarms!.logPatterns, true);
    checks.push({ name: 'log metric filters', ok: filters.length === 0, detail: filters.join(', ') || undefined });
    if (out.slack) {
      const p = await planSlackChannel(ctx, out.topicArn);
      checks.push({ name: `AWS Chatbot configuration ${slackConfigName(ctx)}`, ok: p.action === 'keep', detail: p.detail });
    }
    return checks;
  },

  summary(out) {
    return {
      rows: [
        [
          'Alarms',
          `${out.alarms.length} alarm(s) e-mail ${out.email.join(', ')}${out.slack ? ` and post to Slack channel ${out.slack.channelId}` : ''}; dashboard ${out.dashboard}`,
        ],
      ],
      notes: [
        'Confirm the subscription e-mail AWS sent to each alarm address, or no alarm reaches it.',
        ...(out.slack
          ? ['A private Slack channel gets the alarms only once the AWS app is in it: invite the AWS app there (/invite @Amazon Q; @aws before the rename).']
          : []),
      ],
    };
  },
};
