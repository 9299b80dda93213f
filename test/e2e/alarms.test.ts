import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudWatchClient, DescribeAlarmsCommand, GetDashboardCommand } from '@aws-sdk/client-cloudwatch';
import { GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetKeyPolicyCommand, KMSClient, ListKeysCommand, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import { BudgetsClient, DescribeBudgetCommand, DescribeNotificationsForBudgetCommand } from '@aws-sdk/client-budgets';
import { DescribeReplicationGroupsCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { makeApp, makeExampleApp, readState, runCli } from '../helpers/cli.js';
import { expectOk } from '../helpers/expect-ok.js';
import { motoWithGapsFilled } from '../helpers/moto-gaps.js';
import { mutatingCalls, recordedDeploy } from '../helpers/recorded-deploy.js';

const region = 'us-east-1';
const cw = new CloudWatchClient({ region });
const sns = new SNSClient({ region });
const kms = new KMSClient({ region });
const budgets = new BudgetsClient({ region });
const cache = new ElastiCacheClient({ region });
const ACCOUNT = '123456789012';

const dims = (a: any) => Object.fromEntries((a.Dimensions ?? []).map((d: any) => [d.Name, d.Value]));
const ourAlarms = async (app: string) => (await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `${app}-prod-` }))).MetricAlarms ?? [];

describe('alarms, dashboard and budget', () => {
  it('watch the real load balancer, target group, service, database and cache; e-mail through an encrypted topic; a re-run changes nothing; destroy removes them', async () => {
    const { dir, app, secrets } = makeExampleApp('agencio-predict', (c) => {
      c.region = region;
      c.alarms = { email: ['ops@example.com'], thresholds: { cpuPercent: 75 } };
      c.budget = { monthlyUsd: 250, email: ['owner@example.com'] };
    });
    const first = await recordedDeploy(dir, secrets);
    expect(first.code, first.error?.message).toBe(0);
    const state = readState(dir);
    const svc = state.steps.service.outputs;
    const out = state.steps.alarms.outputs;

    // The topic is encrypted with a key CloudWatch may use; the address is subscribed.
    const topic = (await sns.send(new GetTopicAttributesCommand({ TopicArn: out.topicArn }))).Attributes!;
    expect(topic.KmsMasterKeyId).toBe(out.keyArn);
    const policy = JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: out.keyArn, PolicyName: 'default' }))).Policy!);
    expect(policy.Statement).toContainEqual(
      expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
    );
    const subs = (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: out.topicArn }))).Subscriptions ?? [];
    expect(subs.map((s) => [s.Protocol, s.Endpoint])).toEqual([['email', 'ops@example.com']]);

    const alarms = await ourAlarms(app);
    const byName = Object.fromEntries(alarms.map((a) => [a.AlarmName!.slice(`${app}-prod-`.length), a]));
    expect(Object.keys(byName).sort()).toEqual(
      [
        'lb-5xx',
        'target-5xx-rate',
        'p95-latency',
        'web-unhealthy-hosts',
        'web-cpu-high',
        'web-memory-high',
        'web-running-below-desired',
        'db-cpu-high',
        'db-free-storage-low',
        'db-connections-high',
        'cache-memory-high',
        'cache-evictions',
      ].sort(),
    );
    for (const a of alarms) {
      expect(a.AlarmActions, a.AlarmName).toEqual([out.topicArn]);
      expect(a.AlarmDescription?.length, a.AlarmName).toBeGreaterThan(20);
    }
    const lbDim = state.steps['load-balancer'].outputs.loadBalancerArn.split(':loadbalancer/')[1];
    expect(dims(byName['lb-5xx'])).toEqual({ LoadBalancer: lbDim });
    expect(dims(byName['web-unhealthy-hosts'])).toEqual({ LoadBalancer: lbDim, TargetGroup: svc.services.web.targetGroupArn.split(':').pop() });
    expect(dims(byName['web-cpu-high'])).toEqual({ ClusterName: svc.clusterName, ServiceName: svc.services.web.serviceName });
    expect(byName['web-cpu-high']!.Threshold).toBe(75);
    expect(dims(byName['db-cpu-high'])).toEqual({ DBInstanceIdentifier: state.steps.rds.outputs.identifier });
    const members = (await cache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: state.steps.elasticache.outputs.replicationGroupId })))
      .ReplicationGroups![0]!.MemberClusters!;
    expect(members).toContain(dims(byName['cache-evictions']).CacheClusterId);
    expect(byName['db-free-storage-low']!.ComparisonOperator).toBe('LessThanThreshold');

    const dash = JSON.parse((await cw.send(new GetDashboardCommand({ DashboardName: `${app}-prod` }))).DashboardBody!);
    expect(dash.widgets.map((w: any) => w.properties.title).sort()).toEqual(alarms.map((a) => a.AlarmName).sort());

    const budget = (await budgets.send(new DescribeBudgetCommand({ AccountId: ACCOUNT, BudgetName: `deploy-wizard-${app}-prod` }))).Budget!;
    expect([Number(budget.BudgetLimit!.Amount), budget.BudgetLimit!.Unit, budget.TimeUnit, budget.BudgetType]).toEqual([250, 'USD', 'MONTHLY', 'COST']);
    const notes = (await budgets.send(new DescribeNotificationsForBudgetCommand({ AccountId: ACCOUNT, BudgetName: `deploy-wizard-${app}-prod` })))
      .Notifications!;
    expect(notes.map((n) => [n.NotificationType, Number(n.Threshold)]).sort()).toEqual([
      ['ACTUAL', 100],
      ['FORECASTED', 80],
    ]);

    const again = await recordedDeploy(dir, secrets);
    expect(again.code).toBe(0);
    expect(mutatingCalls(again.names)).toEqual([]);

    // One threshold changed: that alarm is put again, and nothing else.
    const path = join(dir, 'deploy-wizard.json');
    const config = JSON.parse(readFileSync(path, 'utf8'));
    config.alarms.thresholds.cpuPercent = 70;
    writeFileSync(path, JSON.stringify(config));
    const changed = await recordedDeploy(dir, secrets);
    expect(changed.code, changed.error?.message).toBe(0);
    expect(mutatingCalls(changed.names)).toEqual(['CloudWatch:PutMetricAlarm', 'CloudWatch:PutDashboard']);
    expect(changed.calls.find((c) => c.name === 'CloudWatch:PutMetricAlarm')!.input.AlarmName).toBe(`${app}-prod-web-cpu-high`);

    // Alarms and budget removed from the config: refused without --yes (nothing changes), deleted with it, then nothing to do.
    delete config.alarms;
    delete config.budget;
    writeFileSync(path, JSON.stringify(config));
    const shown = await runCli(['plan'], { cwd: dir, env: secrets });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`budget\\n  - delete +budget deploy-wizard-${app}-prod +\\(no longer in the config\\)`));
    expect(shown.stdout).toMatch(/alarms\n(?: .*\n)*? {2}- delete +\d+ CloudWatch alarm/);
    const refused = await recordedDeploy(dir, secrets);
    expect(refused.code).toBe(2);
    expect(refused.error?.message).toContain('keys removed from the config would delete resources');
    expect(mutatingCalls(refused.names)).toEqual([]);
    expect((await ourAlarms(app)).length).toBeGreaterThan(0);
    const removed = await recordedDeploy(dir, secrets, { yes: true });
    expect(removed.code, removed.error?.message).toBe(0);
    expect(mutatingCalls(removed.names)).toEqual(expect.arrayContaining(['CloudWatch:DeleteAlarms', 'Budgets:DeleteBudget', 'SNS:DeleteTopic']));
    expect(await ourAlarms(app)).toEqual([]);
    expect(
      await budgets.send(new DescribeBudgetCommand({ AccountId: ACCOUNT, BudgetName: `deploy-wizard-${app}-prod` })).then(
        () => 'there',
        () => 'gone',
      ),
    ).toBe('gone');
    expect(Object.keys(readState(dir).steps)).not.toEqual(expect.arrayContaining(['alarms']));
    expect(readState(dir).steps.budget).toBeUndefined();
    const settled = await recordedDeploy(dir, secrets);
    expect(settled.code).toBe(0);
    expect(mutatingCalls(settled.names)).toEqual([]);

    const gone = await runCli(['destroy', '--non-interactive', '--yes', '--force', '--delete-data', '--skip-final-snapshot'], {
      cwd: dir,
      env: (await motoWithGapsFilled()).env,
    });
    expectOk(gone);
    expect(await ourAlarms(app)).toEqual([]);
    expect(
      await cw.send(new GetDashboardCommand({ DashboardName: `${app}-prod` })).then(
        () => 'there',
        () => 'gone',
      ),
    ).toBe('gone');
    expect(
      await sns.send(new GetTopicAttributesCommand({ TopicArn: out.topicArn })).then(
        () => 'there',
        () => 'gone',
      ),
    ).toBe('gone');
    expect(
      await budgets.send(new DescribeBudgetCommand({ AccountId: ACCOUNT, BudgetName: `deploy-wizard-${app}-prod` })).then(
        () => 'there',
        () => 'gone',
      ),
    ).toBe('gone');
  }, 300_000);
});

describe('alarms after a crash', () => {
  it('SIGKILL right after KMS CreateKey (before its alias exists): the re-run adopts that key, never a second one', async () => {
    const { dir, app } = makeApp((c) => (c.alarms = { email: ['ops@example.com'] }));
    const killed = await runCli(['deploy', '--non-interactive'], { cwd: dir, env: { DEPLOY_WIZARD_FAULT_KILL_AFTER_CALL: 'KMS:CreateKey' } });
    expect(killed.signal).toBe('SIGKILL');
    expect(readState(dir).steps.alarms.intents['alarm-key']).toBeDefined();
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: dir }));
    const ours = [];
    for (const k of (await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys ?? []) {
      const t = (await kms.send(new ListResourceTagsCommand({ KeyId: k.KeyId }))).Tags ?? [];
      if (t.some((x) => x.TagKey === 'deploy-wizard:app' && x.TagValue === app)) ours.push(k.KeyArn);
    }
    expect(ours).toEqual([readState(dir).steps.alarms.outputs.keyArn]);
    expect(readState(dir).steps.alarms.intents?.['alarm-key']).toBeUndefined();
  }, 180_000);
});

describe('alarms in Slack, from the CLI', () => {
  it('a workspace not authorised for AWS Chatbot stops the deploy at the preflight (exit 2) naming the key and the link; nothing is made', async () => {
    const { dir, app } = makeApp((c) => (c.alarms = { email: ['ops@example.com'], slack: { workspaceId: 'T9999ZZZZ', channelId: 'C0456EFGH' } }));
    const r = await runCli(['deploy', '--non-interactive'], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('alarms.slack.workspaceId: Slack workspace T9999ZZZZ is not authorised for AWS Chatbot in account 123456789012');
    expect(r.stderr).toContain('authorised here: T0123ABCD (example)');
    expect(r.stderr).toContain('https://us-east-2.console.aws.amazon.com/chatbot/home#/chat-clients');
    expect(Object.values(readState(dir)?.steps ?? {}).filter((s: any) => s.status === 'done')).toEqual([]);
    expect(await ourAlarms(app)).toEqual([]);
  });
});
