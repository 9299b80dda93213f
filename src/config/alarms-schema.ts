import { z } from 'zod';
import { filterPatternProblem } from './filter-pattern.js';

// The keys that page someone when the app is unwell and when it costs more
// than planned: alarms and budget.

const emails = z.array(z.email('expected an e-mail address such as ops@example.com')).min(1, 'list at least one address');

/** Every threshold has a default; each can be overridden by name. */
export const thresholds = z.strictObject({
  loadBalancer5xx: z.number().int().min(1).default(10).describe('5xx answers from the load balancer itself per minute, 5 minutes running'),
  target5xxPercent: z.number().min(0.1).max(100).default(5).describe('percent of requests the app answers with 5xx, over 5 minutes'),
  unhealthyHosts: z.number().int().min(1).default(1).describe('unhealthy targets of a web service, 5 minutes running'),
  p95Seconds: z.number().min(0.01).default(2).describe('95th percentile response time in seconds, over 5 minutes'),
  cpuPercent: z.number().min(1).max(100).default(80).describe("a service's average CPU, 15 minutes running"),
  memoryPercent: z.number().min(1).max(100).default(85).describe("a service's average memory, 15 minutes running"),
  dbCpuPercent: z.number().min(1).max(100).default(80).describe("the database's CPU, 15 minutes running"),
  dbFreeStorageGb: z.number().min(0.1).default(2).describe("the database's free storage in GB"),
  dbConnections: z.number().int().min(1).default(80).describe('open database connections'),
  cacheMemoryPercent: z.number().min(1).max(100).default(80).describe("the cache's memory use"),
  cacheEvictions: z.number().int().min(1).default(100).describe('keys the cache evicted in 5 minutes'),
  dbCapacityPercent: z.number().min(1).max(100).default(90).describe("Aurora Serverless v2: the cluster's capacity as a percent of maxAcu, 15 minutes running"),
});

const alarmName = z.string().regex(/^[a-z](?:[a-z0-9]|-(?!-)){0,38}[a-z0-9]$/, 'use 2-40 lowercase letters, digits and single hyphens, starting with a letter');
const COMPARISONS = {
  '>': 'GreaterThanThreshold',
  '>=': 'GreaterThanOrEqualToThreshold',
  '<': 'LessThanThreshold',
  '<=': 'LessThanOrEqualToThreshold',
} as const;
export const comparisonOperator = (c: keyof typeof COMPARISONS) => COMPARISONS[c];
const statistic = z
  .string()
  .regex(
    /^(Average|Sum|Minimum|Maximum|SampleCount|p\d{1,2}(\.\d{1,2})?)$/,
    'Average, Sum, Minimum, Maximum, SampleCount, or a percentile such as p95 or p99.9',
  );

/** An alarm on any CloudWatch metric: the app's own (a namespace it publishes) or AWS's. */
const customAlarm = z.strictObject({
  name: alarmName.describe('the alarm is named <app>-<env>-<name>'),
  metric: z.strictObject({
    namespace: z.string().min(1).max(255),
    name: z.string().min(1).max(255),
    dimensions: z.record(z.string().min(1).max(255), z.string().min(1).max(1024)).default({}),
    statistic: statistic.default('Average'),
  }),
  threshold: z.number(),
  comparison: z.enum(['>', '>=', '<', '<=']).default('>'),
  periodMinutes: z.number().int().min(1).max(1440).default(5).describe('the length of one datapoint'),
  evaluationPeriods: z.number().int().min(1).max(100).default(1).describe('datapoints in a row that breach before it alarms'),
  description: z.string().max(1024).optional(),
});

/** An alarm on lines of the app's log group that match a CloudWatch Logs filter pattern. */
const logPattern = z.strictObject({
  name: alarmName.describe('the metric filter and the alarm are named <app>-<env>-<name>'),
  pattern: z
    .string()
    .min(1)
    .max(1024)
    .superRefine((p, ctx) => {
      const problem = filterPatternProblem(p);
      if (problem) ctx.addIssue({ code: 'custom', message: `not a CloudWatch Logs filter pattern: ${problem}` });
    })
    .describe('a CloudWatch Logs filter pattern, such as { $.level = "error" } or "ERROR"'),
  threshold: z.number().int().min(1).describe('matching lines per period that make it alarm'),
  periodMinutes: z.number().int().min(1).max(1440).default(5),
  evaluationPeriods: z.number().int().min(1).max(100).default(1),
});

export type CustomAlarm = z.output<typeof customAlarm>;
export type LogPattern = z.output<typeof logPattern>;

/** A Slack channel through AWS Chatbot; its API's patterns (https://docs.aws.amazon.com/chatbot/latest/APIReference/API_SlackChannelConfiguration.html). */
export const slackChannel = z.strictObject({
  workspaceId: z
    .string()
    .regex(/^[0-9A-Z]{1,255}$/, 'expected a Slack workspace (team) id such as T0123ABCD, as the AWS Chatbot console shows it once the workspace is authorised')
    .describe('the Slack workspace (team) id, authorised once for AWS Chatbot in its console'),
  channelId: z
    .string()
    .regex(/^[A-Za-z0-9]{1,255}$/, "expected a Slack channel id such as C0456EFGH (the end of the channel's link)")
    .describe("the channel's id: the last part of the link Slack copies for the channel"),
});

export const alarms = z
  .strictObject({
    email: emails.describe('addresses that get the alarm e-mails (each confirms its subscription once)'),
    slack: slackChannel.optional().describe('also post every alarm to this Slack channel, through AWS Chatbot with a role that may only read CloudWatch'),
    thresholds: thresholds.partial().default({}).describe('override a default threshold by name'),
    custom: z.array(customAlarm).max(50).default([]).describe('alarms on any metric, such as one the app publishes'),
    logPatterns: z.array(logPattern).max(20).default([]).describe("alarms on lines of the app's logs that match a filter pattern"),
  })
  .superRefine((a, ctx) => {
    const seen = new Set<string>();
    for (const [key, list] of [
      ['custom', a.custom],
      ['logPatterns', a.logPatterns],
    ] as const)
      for (const [i, x] of list.entries()) {
        if (seen.has(x.name)) ctx.addIssue({ code: 'custom', path: [key, i, 'name'], message: `${x.name} is already the name of another alarm here` });
        seen.add(x.name);
      }
  });

export const budget = z.strictObject({
  monthlyUsd: z.number().positive().max(1_000_000).describe('the monthly cost budget in US dollars'),
  email: emails.describe('addresses told at 80% forecast and 100% actual'),
  scope: z
    .enum(['account', 'app'])
    .default('account')
    .describe('"account": every cost in the account; "app": only what carries this app\'s and env\'s tags (the wizard activates them as cost allocation tags)'),
  anomalyDetection: z
    .strictObject({
      thresholdUsd: z.number().positive().max(1_000_000).describe("tell when an anomaly's total impact reaches this many dollars"),
    })
    .optional()
    .describe("a Cost Anomaly Detection monitor of this app's and env's tagged costs, alerting the alarm topic (else the budget's addresses, daily)"),
});

export type Thresholds = z.output<typeof thresholds>;
