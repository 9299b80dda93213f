import { describe, expect, it } from 'vitest';
import { DescribeAlarmsCommand, GetDashboardCommand, ListTagsForResourceCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { CreateLogGroupCommand, DescribeMetricFiltersCommand } from '@aws-sdk/client-cloudwatch-logs';
import { alarms } from '../../steps/alarms/apply.js';
import { destroyAlarms } from '../../steps/alarms/teardown.js';
import { manifest } from '../../steps/alarms/manifest.js';
import { withLoadBalancer } from '../helpers/with-load-balancer.js';
import { MUTATING } from '../helpers/step-context.js';
import { configProblems } from '../helpers/config-problems.js';
import { alarmSpecs } from '../../src/alarms/alarm-specs.js';
import { thresholds } from '../../src/config/alarms-schema.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ownershipTags, type StepOutputs } from '../../src/pipeline/step.js';

/** A web service and a worker, deployed as far as the alarms care: the service step's outputs beside a real load balancer. */
async function watchedApp(calls: string[]) {
  const t = await withLoadBalancer(
    {
      service: undefined,
      services: { web: { port: 8080, routes: ['/*'] }, worker: { command: ['node', 'worker.js'] } },
      alarms: { email: ['ops@example.com'] },
    },
    { onCall: (c) => void (c.ok && calls.push(c.command)) },
  );
  const lbOut = t.ctx.output('load-balancer');
  const svc = {
    clusterName: `${t.app}-prod`,
    services: {
      web: { serviceName: t.app, targetGroupArn: `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${t.app}-prod/0123456789abcdef` },
      worker: { serviceName: `${t.app}-worker` },
    },
  } as unknown as StepOutputs['service'];
  const before = t.ctx.output;
  t.ctx.output = (<T>(id: string) => (id === 'service' ? (svc as T) : id === 'load-balancer' ? (lbOut as T) : before(id as 'network'))) as typeof t.ctx.output;
  return t;
}

describe('alarms', () => {
  it("makes the topic, every alarm (exactly the ones the manifest grants the CI role), the dashboard; changes nothing on a re-run; a changed threshold is one alarm's update; a stale alarm of ours goes, another's stays; the teardown removes the rest", async () => {
    const calls: string[] = [];
    const { ctx } = await watchedApp(calls);
    expect(manifest.enabled!(ctx.config)).toBe(true);
    const out = await alarms.apply(ctx);
    expect(out.alarms).toContain(`${ctx.app}-prod-lb-5xx`);
    expect(out.alarms).toContain(`${ctx.app}-prod-worker-cpu-high`);
    const live = (await ctx.aws.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `${ctx.app}-prod-` }))).MetricAlarms!;
    expect(live.map((a) => a.AlarmName).sort()).toEqual([...out.alarms].sort());
    expect(live.every((a) => a.AlarmActions?.includes(out.topicArn))).toBe(true);
    // What the CI role is granted is exactly what the step makes: the manifest names every alarm's ARN.
    const where = { app: ctx.app, env: 'prod', account: ctx.account, region: ctx.region, partition: 'aws' };
    const granted = manifest.resources!(where, ctx.config)
      .filter((r) => r.kind === 'alarm')
      .map((r) => r.arn);
    for (const a of live) expect(granted, a.AlarmName).toContain(a.AlarmArn);
    const tags = (await ctx.aws.cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: live[0]!.AlarmArn }))).Tags!;
    expect(tags).toContainEqual({ Key: 'deploy-wizard:env', Value: 'prod' });
    const subs = (await ctx.aws.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: out.topicArn }))).Subscriptions!;
    expect(subs.map((s) => s.Endpoint)).toEqual(['ops@example.com']);
    expect((await ctx.aws.cloudwatch.send(new GetDashboardCommand({ DashboardName: out.dashboard }))).DashboardBody).toContain('lb-5xx');
    expect((await alarms.verify(ctx, out)).every((c) => c.ok)).toBe(true);

    calls.length = 0;
    await alarms.apply(ctx);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);

    ctx.config = { ...ctx.config, alarms: { ...ctx.config.alarms!, thresholds: { cpuPercent: 90 } } };
    calls.length = 0;
    await alarms.apply(ctx);
    // The two services' CPU alarms, and the dashboard that draws their lines.
    expect(calls.filter((c) => MUTATING.test(c)).sort()).toEqual(['PutDashboard', 'PutMetricAlarm', 'PutMetricAlarm']);

    // An alarm of ours the config no longer has goes; one under our prefix without our tags is the user's and stays.
    const orphan = { Namespace: 'AWS/ECS', MetricName: 'CPUUtilization', Statistic: 'Average' as const, Period: 60, EvaluationPeriods: 1, Threshold: 1 };
    await ctx.aws.cloudwatch.send(
      new PutMetricAlarmCommand({
        ...orphan,
        AlarmName: `${ctx.app}-prod-old-cpu-high`,
        ComparisonOperator: 'GreaterThanThreshold',
        Tags: ownershipTags(ctx, 'alarms'),
      }),
    );
    await ctx.aws.cloudwatch.send(new PutMetricAlarmCommand({ ...orphan, AlarmName: `${ctx.app}-prod-mine`, ComparisonOperator: 'GreaterThanThreshold' }));
    await alarms.apply(ctx);
    const after = (await ctx.aws.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `${ctx.app}-prod-` }))).MetricAlarms!.map((a) => a.AlarmName);
    expect(after).not.toContain(`${ctx.app}-prod-old-cpu-high`);
    expect(after).toContain(`${ctx.app}-prod-mine`);

    for (const t of await destroyAlarms(ctx)) await t.remove?.();
    const left = (await ctx.aws.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `${ctx.app}-prod-` }))).MetricAlarms!.map((a) => a.AlarmName);
    expect(left).toEqual([`${ctx.app}-prod-mine`]);
  });
});

describe("alarms on the app's own signals", () => {
  it('a custom metric alarm and a log-pattern alarm with its metric filter; a re-run changes nothing; a removed pattern takes its filter and alarm with it', async () => {
    const calls: string[] = [];
    const t = await watchedApp(calls);
    const { ctx } = t;
    ctx.config = {
      ...ctx.config,
      alarms: {
        ...ctx.config.alarms!,
        custom: [
          {
            name: 'daily-llm-cost',
            metric: { namespace: 'Espejo/Usage', name: 'CostUsdDaily', dimensions: {}, statistic: 'Maximum' },
            threshold: 25,
            comparison: '>',
            periodMinutes: 60,
            evaluationPeriods: 1,
          },
        ],
        logPatterns: [{ name: 'errors', pattern: '{ $.level = "error" }', threshold: 10, periodMinutes: 10, evaluationPeriods: 1 }],
      },
    };
    // The log group the task-definition step makes.
    await ctx.aws.logs.send(new CreateLogGroupCommand({ logGroupName: `/ecs/${ctx.app}-prod` }));
    const plan = await alarms.plan(ctx);
    expect(plan.map((i) => `${i.action} ${i.resource}`)).toEqual(
      expect.arrayContaining([
        `create alarm ${ctx.app}-prod-metric-daily-llm-cost`,
        `create alarm ${ctx.app}-prod-log-errors`,
        `create metric filter ${ctx.app}-prod-log-errors`,
      ]),
    );
    const out = await alarms.apply(ctx);
    const live = (
      await ctx.aws.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [`${ctx.app}-prod-metric-daily-llm-cost`, `${ctx.app}-prod-log-errors`] }))
    ).MetricAlarms!;
    expect(live.find((a) => a.AlarmName!.endsWith('daily-llm-cost'))).toMatchObject({
      Namespace: 'Espejo/Usage',
      MetricName: 'CostUsdDaily',
      Statistic: 'Maximum',
      Period: 3600,
      Threshold: 25,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [out.topicArn],
    });
    expect(live.find((a) => a.AlarmName!.endsWith('log-errors'))).toMatchObject({
      Namespace: `deploy-wizard/${ctx.app}-prod`,
      MetricName: 'errors',
      Statistic: 'Sum',
      Period: 600,
      Threshold: 10,
    });
    const filters = (await ctx.aws.logs.send(new DescribeMetricFiltersCommand({ logGroupName: `/ecs/${ctx.app}-prod` }))).metricFilters!;
    expect(filters).toEqual([
      expect.objectContaining({
        filterName: `${ctx.app}-prod-log-errors`,
        filterPattern: '{ $.level = "error" }',
        metricTransformations: [expect.objectContaining({ metricName: 'errors', metricNamespace: `deploy-wizard/${ctx.app}-prod`, metricValue: '1' })],
      }),
    ]);
    // The CI role is granted these alarms by name, as the built-in ones.
    const where = { app: ctx.app, env: 'prod', account: ctx.account, region: ctx.region, partition: 'aws' };
    const granted = manifest.resources!(where, ctx.config).map((r) => r.arn);
    for (const a of live) expect(granted, a.AlarmName).toContain(a.AlarmArn);
    expect((await alarms.verify(ctx, out)).every((c) => c.ok)).toBe(true);

    calls.length = 0;
    await alarms.apply(ctx);
    expect(calls.filter((c) => MUTATING.test(c))).toEqual([]);

    ctx.config = { ...ctx.config, alarms: { ...ctx.config.alarms!, logPatterns: [] } };
    await alarms.apply(ctx);
    expect((await ctx.aws.logs.send(new DescribeMetricFiltersCommand({ logGroupName: `/ecs/${ctx.app}-prod` }))).metricFilters).toEqual([]);
    const left = (await ctx.aws.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `${ctx.app}-prod-log-` }))).MetricAlarms!;
    expect(left).toEqual([]);
  });
});

describe('alarms.custom and alarms.logPatterns in the config', () => {
  it('names the key: a bad statistic, a name used twice', () => {
    const alarmsKey = (a: Record<string, unknown>) => configProblems({ alarms: { email: ['ops@example.com'], ...a } });
    const m = { namespace: 'Espejo/Usage', name: 'CostUsdDaily' };
    expect(alarmsKey({ custom: [{ name: 'cost', metric: { ...m, statistic: 'Median' }, threshold: 1 }] })).toMatch(
      /alarms\.custom\[0\]\.metric\.statistic: Average, Sum/,
    );
    expect(alarmsKey({ custom: [{ name: 'x', metric: m, threshold: 1 }], logPatterns: [{ name: 'x', pattern: 'ERROR', threshold: 1 }] })).toMatch(
      /alarms\.logPatterns\[0\]\.name: x is already the name of another alarm here/,
    );
    expect(alarmsKey({ custom: [{ name: 'cost', metric: { ...m, statistic: 'p99.9' }, threshold: 1, comparison: '>=' }] })).toBe('');
    // alarms.slack takes Slack's ids, as the Chatbot API's patterns allow them; a channel's name is not its id.
    expect(alarmsKey({ slack: { workspaceId: 'acme', channelId: 'C0456' } })).toMatch(/alarms\.slack\.workspaceId: expected a Slack workspace \(team\) id/);
    expect(alarmsKey({ slack: { workspaceId: 'T0123', channelId: '#alerts' } })).toMatch(/alarms\.slack\.channelId: expected a Slack channel id/);
    expect(alarmsKey({ slack: { workspaceId: 'T0123', channelId: 'C0456', webhook: 'x' } })).toMatch(/alarms\.slack/);
    expect(alarmsKey({ slack: { workspaceId: 'T0123', channelId: 'C0456' } })).toBe('');
  });
});

describe('an alarm for scheduled runs that could not start', () => {
  it('watches the schedules dead-letter queue when there are schedules, and the CI role is granted it by name', () => {
    const w = { app: 'shop', env: 'prod', targetGroups: [], cluster: 'shop-prod', services: [], cacheNodes: [] };
    const t = thresholds.parse({});
    expect(alarmSpecs(w, t, 'arn:t').map((a) => a.AlarmName)).not.toContain('shop-prod-schedule-failures');
    const dlq = alarmSpecs({ ...w, scheduleDlq: 'shop-prod-schedules-dlq' }, t, 'arn:t').find((a) => a.AlarmName === 'shop-prod-schedule-failures');
    expect(dlq).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: 'shop-prod-schedules-dlq' }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const config = parseConfig(
      JSON.stringify({
        app: 'shop',
        region: 'us-east-1',
        image: {},
        service: { port: 8080 },
        alarms: { email: ['ops@example.com'] },
        schedules: { nightly: { service: 'web', cron: '0 3 * * ? *', command: ['node', 'n.js'] } },
      }),
      'x',
      'prod',
    );
    const where = { app: 'shop', env: 'prod', account: '123456789012', region: 'us-east-1', partition: 'aws' };
    expect(manifest.resources!(where, config).map((r) => r.arn)).toContain('arn:aws:cloudwatch:us-east-1:123456789012:alarm:shop-prod-schedule-failures');
  });
});
