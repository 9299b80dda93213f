import { arnIn, defineStep, type Where } from '../../src/pipeline/manifest.js';
import { alarmPrefix, alarmSpecs, type Watched } from '../../src/alarms/alarm-specs.js';
import { thresholds } from '../../src/config/alarms-schema.js';
import type { Config } from '../../src/config/schema.js';
import { chatbotRoleName, clusterName, dashboardName, scheduleDlqName, slackConfigName, topicName } from '../../src/aws/names.js';
import { passTo, roleGrants } from '../../src/aws/grants.js';
import { ALARM_METRIC_MONTH, DASHBOARD_MONTH, KMS_KEY_MONTH, round } from '../../src/pricing.js';

/** What the alarms watch, as far as the config alone tells (ids AWS generates are placeholders). */
const watchedOf = (w: Pick<Where, 'app' | 'env'>, c: Config, cacheNodes: string[]): Watched => {
  const services = Object.values(c.services);
  const web = services.filter((s) => s.kind === 'web');
  return {
    app: w.app,
    env: w.env,
    loadBalancer: web.length ? 'app/x/0' : undefined,
    targetGroups: web.map((s) => ({ service: s.name, dimension: 'targetgroup/x/0' })),
    cluster: clusterName(w),
    services: services.map((s) => ({ name: s.name, serviceName: s.name })),
    database: c.database ? 'db' : undefined,
    databaseIsCluster: c.database?.engine === 'aurora-postgresql',
    ...(c.database?.serverless ? { databaseMaxAcu: c.database.serverless.maxAcu } : {}),
    cacheNodes: c.cache ? cacheNodes : [],
    ...(Object.keys(c.schedules).length ? { scheduleDlq: scheduleDlqName(w) } : {}),
    custom: c.alarms?.custom ?? [],
    logPatterns: c.alarms?.logPatterns ?? [],
  };
};

export const manifest = defineStep({
  id: 'alarms',
  title: 'Alarms by e-mail and a dashboard (SNS, CloudWatch)',
  dependsOn: ['service', 'load-balancer', 'rds', 'elasticache'],
  enabled: (c) => !!c.alarms,
  resources: (w, c) => [
    // One cache node's alarms, or with replicas each node's, whose names end in the node's three-digit number.
    ...[
      ...new Set(
        [['x-???'], ['x-???', 'x-???']].flatMap((nodes) =>
          alarmSpecs(watchedOf(w, c, nodes), thresholds.parse(c.alarms?.thresholds ?? {}), 'topic').map((a) => a.AlarmName),
        ),
      ),
    ].map((name) => ({ kind: 'alarm', arn: arnIn(w, 'cloudwatch', `alarm:${name}`) })),
    // Alarms a changed config no longer has: any name, but only while it carries this app's and env's tags.
    { kind: 'stale-alarm', arn: arnIn(w, 'cloudwatch', `alarm:${alarmPrefix(w)}*`), taggedOnly: true },
    { kind: 'dashboard', arn: arnIn(w, 'cloudwatch', `dashboard/${dashboardName(w)}`, '') },
    { kind: 'alarm-topic', arn: arnIn(w, 'sns', topicName(w)) },
    // The topic's key has a generated id: its policy may be read and written only on a key carrying this app's and env's tags.
    { kind: 'alarm-key', arn: arnIn(w, 'kms', 'key/*'), taggedOnly: true },
    // alarms.slack: the Chatbot configuration (its ARNs have no region) and the role Chatbot assumes. Named whether or
    // not the config has a channel now, so a run that removes it may delete them.
    { kind: 'chatbot-configuration', arn: arnIn(w, 'chatbot', `chat-configuration/slack-channel/${slackConfigName(w)}`, '') },
    { kind: 'chatbot-role', arn: `arn:${w.partition}:iam::${w.account}:role/${chatbotRoleName(w)}` },
  ],
  grants: [
    { sid: 'FindAlarms', calls: ['CloudWatch:DescribeAlarms'], on: '*' },
    { sid: 'Alarms', calls: ['CloudWatch:ListTagsForResource', 'CloudWatch:PutMetricAlarm'], actions: ['cloudwatch:TagResource'], on: ['alarm'] },
    { sid: 'StaleAlarms', calls: ['CloudWatch:ListTagsForResource', 'CloudWatch:DeleteAlarms'], on: ['stale-alarm'] },
    { sid: 'Dashboard', calls: ['CloudWatch:GetDashboard', 'CloudWatch:PutDashboard'], on: ['dashboard'] },
    { sid: 'AlarmDimensions', calls: ['ElastiCache:DescribeReplicationGroups'], on: '*' },
    // alarms.logPatterns: metric filters on the app's own log group.
    { sid: 'LogMetricFilters', calls: ['Logs:DescribeMetricFilters', 'Logs:PutMetricFilter', 'Logs:DeleteMetricFilter'], on: ['log-group'] },
    {
      sid: 'AlarmTopic',
      calls: [
        'SNS:CreateTopic',
        'SNS:GetTopicAttributes',
        'SNS:SetTopicAttributes',
        'SNS:ListSubscriptionsByTopic',
        'SNS:Subscribe',
        'SNS:Unsubscribe',
        'SNS:ListTagsForResource',
      ],
      actions: ['sns:TagResource'],
      on: ['alarm-topic'],
    },
    {
      // KMS keys have generated ids: scoped by action.
      sid: 'AlarmTopicKey',
      calls: ['KMS:ListKeys', 'KMS:DescribeKey', 'KMS:ListResourceTags', 'KMS:CreateKey', 'KMS:CreateAlias'],
      actions: ['kms:TagResource', 'kms:ListAliases'],
      on: '*',
    },
    // With budget.anomalyDetection, Cost Anomaly Detection is let use the key (and the topic).
    { sid: 'AlarmTopicKeyPolicy', calls: ['KMS:GetKeyPolicy', 'KMS:PutKeyPolicy'], on: ['alarm-key'] },
    // alarms.slack. Listing workspaces and configurations, and creating one, name no resource (Service Authorization
    // Reference, AWS Chatbot); updating, deleting and tagging name the configuration.
    {
      sid: 'SlackChannels',
      calls: ['Chatbot:DescribeSlackWorkspaces', 'Chatbot:DescribeSlackChannelConfigurations', 'Chatbot:CreateSlackChannelConfiguration'],
      on: '*',
    },
    {
      sid: 'OurSlackChannel',
      calls: ['Chatbot:UpdateSlackChannelConfiguration', 'Chatbot:DeleteSlackChannelConfiguration'],
      actions: ['chatbot:TagResource'],
      on: ['chatbot-configuration'],
    },
    ...roleGrants('ChatbotRole', ['chatbot-role']),
    { sid: 'RemoveChatbotRole', calls: ['IAM:DeleteRole'], on: ['chatbot-role'] },
    { sid: 'PassChatbotRole', actions: ['iam:PassRole'], on: ['chatbot-role'], condition: passTo('chatbot.amazonaws.com') },
  ],
  cost(config) {
    const specs = alarmSpecs(watchedOf({ app: config.app, env: '' }, config, ['node']), thresholds.parse(config.alarms?.thresholds ?? {}), '');
    const metrics = specs.reduce((n, s) => n + (s.Metrics ? s.Metrics.filter((m) => m.MetricStat).length : 1), 0);
    return [
      { component: 'CloudWatch alarms', size: `${specs.length} alarm(s), ${metrics} metric(s)`, monthly: round(metrics * ALARM_METRIC_MONTH) },
      { component: 'CloudWatch dashboard', size: '1 (the first 3 in an account are free)', monthly: DASHBOARD_MONTH },
      { component: 'KMS key (alarm topic)', size: '1', monthly: KMS_KEY_MONTH },
    ];
  },
  load: async () => (await import('./apply.js')).alarms,
  loadTeardown: async () => (await import('./teardown.js')).destroyAlarms,
});
