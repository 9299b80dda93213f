import { describe, expect, it } from 'vitest';
import { DescribeAlarmsCommand, GetDashboardCommand, ListTagsForResourceCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { alarms } from '../../steps/alarms/apply.js';
import { destroyAlarms } from '../../steps/alarms/teardown.js';
import { manifest } from '../../steps/alarms/manifest.js';
import { withLoadBalancer } from '../helpers/with-load-balancer.js';
import { MUTATING } from '../helpers/step-context.js';
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
