import type { MetricDataQuery, PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import { comparisonOperator, type CustomAlarm, type LogPattern, type Thresholds } from '../config/alarms-schema.js';

/** What the alarms watch, by the names CloudWatch's dimensions use. */
export interface Watched {
  app: string;
  env: string;
  /** "app/<name>/<id>": the load balancer ARN after "loadbalancer/". */
  loadBalancer?: string;
  /** Per web service: "targetgroup/<name>/<id>". */
  targetGroups: { service: string; dimension: string }[];
  cluster: string;
  services: { name: string; serviceName: string }[];
  database?: string;
  /** An Aurora cluster (reported by DBClusterIdentifier; its storage grows by itself) rather than an instance. */
  databaseIsCluster?: boolean;
  /** Aurora Serverless v2: the most capacity the cluster may scale to, for the capacity alarm. */
  databaseMaxAcu?: number;
  /** The cache's node ids (ElastiCache reports per node). */
  cacheNodes: string[];
  /** With schedules: the dead-letter queue their runs that could not start go to. */
  scheduleDlq?: string;
  /** alarms.custom and alarms.logPatterns. */
  custom?: CustomAlarm[];
  logPatterns?: LogPattern[];
}

/** The namespace of the metrics the log-pattern filters publish. */
export const logMetricNamespace = (w: Pick<Watched, 'app' | 'env'>) => `deploy-wizard/${w.app}-${w.env}`;

export type AlarmSpec = PutMetricAlarmCommandInput & { AlarmName: string };

const GB = 1024 ** 3;

/** The alarms' names all start with this, which is how the step finds the ones it made. */
export const alarmPrefix = (w: Pick<Watched, 'app' | 'env'>) => `${w.app}-${w.env}-`;

function metric(ns: string, name: string, dims: Record<string, string>, stat: string, period: number) {
  return {
    Namespace: ns,
    MetricName: name,
    Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
    Period: period,
    ...(/^p\d/.test(stat) ? { ExtendedStatistic: stat } : { Statistic: stat as 'Average' }),
  };
}

const query = (Id: string, ns: string, name: string, dims: Record<string, string>, stat: string, period = 60): MetricDataQuery => ({
  Id,
  ReturnData: false,
  MetricStat: {
    Metric: { Namespace: ns, MetricName: name, Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })) },
    Period: period,
    Stat: stat,
  },
});

/**
 * Every alarm, each with a clear name and a description that says what it
 * means and where to look. Missing data is "not breaching": an idle app
 * sends no request metrics and is not down for it.
 */
export function alarmSpecs(w: Watched, t: Thresholds, topicArn: string): AlarmSpec[] {
  const p = alarmPrefix(w);
  const common = { ActionsEnabled: true, AlarmActions: [topicArn], OKActions: [topicArn], TreatMissingData: 'notBreaching' as const };
  const out: AlarmSpec[] = [];
  if (w.loadBalancer) {
    const lb = { LoadBalancer: w.loadBalancer };
    out.push({
      ...common,
      AlarmName: `${p}lb-5xx`,
      AlarmDescription: `The load balancer itself answered 5xx at least ${t.loadBalancer5xx} times a minute for 5 minutes: no healthy target, or targets timing out. Check deploy-wizard status.`,
      ...metric('AWS/ApplicationELB', 'HTTPCode_ELB_5XX_Count', lb, 'Sum', 60),
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      Threshold: t.loadBalancer5xx,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    out.push({
      ...common,
      AlarmName: `${p}target-5xx-rate`,
      AlarmDescription: `More than ${t.target5xxPercent}% of requests answered 5xx by the app over 5 minutes. Check deploy-wizard logs.`,
      Metrics: [
        query('errors', 'AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', lb, 'Sum', 300),
        query('requests', 'AWS/ApplicationELB', 'RequestCount', lb, 'Sum', 300),
        { Id: 'rate', Expression: 'IF(requests > 0, 100 * errors / requests, 0)', Label: 'target 5xx %', ReturnData: true },
      ],
      EvaluationPeriods: 1,
      Threshold: t.target5xxPercent,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    out.push({
      ...common,
      AlarmName: `${p}p95-latency`,
      AlarmDescription: `The 95th percentile response time was above ${t.p95Seconds}s over 5 minutes.`,
      ...metric('AWS/ApplicationELB', 'TargetResponseTime', lb, 'p95', 300),
      EvaluationPeriods: 1,
      Threshold: t.p95Seconds,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    for (const tg of w.targetGroups) {
      out.push({
        ...common,
        AlarmName: `${p}${tg.service}-unhealthy-hosts`,
        AlarmDescription: `${tg.service}: at least ${t.unhealthyHosts} target(s) failing the health check for 5 minutes. Check deploy-wizard status and logs ${tg.service}.`,
        ...metric('AWS/ApplicationELB', 'UnHealthyHostCount', { TargetGroup: tg.dimension, ...lb }, 'Maximum', 60),
        EvaluationPeriods: 5,
        DatapointsToAlarm: 5,
        Threshold: t.unhealthyHosts,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  }
  for (const s of w.services) {
    const dims = { ClusterName: w.cluster, ServiceName: s.serviceName };
    out.push({
      ...common,
      AlarmName: `${p}${s.name}-cpu-high`,
      AlarmDescription: `${s.name}: average CPU above ${t.cpuPercent}% for 15 minutes. Give it more cpu or tasks (autoscaling).`,
      ...metric('AWS/ECS', 'CPUUtilization', dims, 'Average', 300),
      EvaluationPeriods: 3,
      Threshold: t.cpuPercent,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    out.push({
      ...common,
      AlarmName: `${p}${s.name}-memory-high`,
      AlarmDescription: `${s.name}: average memory above ${t.memoryPercent}% for 15 minutes; tasks are stopped when they run out. Give it more memory.`,
      ...metric('AWS/ECS', 'MemoryUtilization', dims, 'Average', 300),
      EvaluationPeriods: 3,
      Threshold: t.memoryPercent,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    out.push({
      ...common,
      AlarmName: `${p}${s.name}-running-below-desired`,
      AlarmDescription: `${s.name}: fewer tasks running than desired for 5 minutes (tasks failing to start or crashing). Check deploy-wizard status.`,
      Metrics: [
        query('running', 'ECS/ContainerInsights', 'RunningTaskCount', dims, 'Average'),
        query('desired', 'ECS/ContainerInsights', 'DesiredTaskCount', dims, 'Average'),
        { Id: 'missing', Expression: 'desired - running', Label: 'tasks missing', ReturnData: true },
      ],
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  }
  if (w.database) {
    const db: Record<string, string> = w.databaseIsCluster ? { DBClusterIdentifier: w.database } : { DBInstanceIdentifier: w.database };
    out.push({
      ...common,
      AlarmName: `${p}db-cpu-high`,
      AlarmDescription: `Database CPU above ${t.dbCpuPercent}% for 15 minutes: slow queries, or a bigger instance class is due.`,
      ...metric('AWS/RDS', 'CPUUtilization', db, 'Average', 300),
      EvaluationPeriods: 3,
      Threshold: t.dbCpuPercent,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    // Aurora storage grows by itself: no free-storage alarm there.
    if (!w.databaseIsCluster)
      out.push({
        ...common,
        AlarmName: `${p}db-free-storage-low`,
        AlarmDescription: `Database free storage below ${t.dbFreeStorageGb} GB: raise database.allocatedStorageGb before it fills.`,
        ...metric('AWS/RDS', 'FreeStorageSpace', db, 'Minimum', 300),
        EvaluationPeriods: 1,
        Threshold: t.dbFreeStorageGb * GB,
        ComparisonOperator: 'LessThanThreshold',
      });
    out.push({
      ...common,
      AlarmName: `${p}db-connections-high`,
      AlarmDescription: `More than ${t.dbConnections} open database connections for 10 minutes: a connection leak, or pool sizes add up past what the instance allows.`,
      ...metric('AWS/RDS', 'DatabaseConnections', db, 'Maximum', 300),
      EvaluationPeriods: 2,
      Threshold: t.dbConnections,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  }
  if (w.database && w.databaseIsCluster && w.databaseMaxAcu) {
    out.push({
      ...common,
      AlarmName: `${p}db-capacity-high`,
      AlarmDescription: `Aurora capacity above ${t.dbCapacityPercent}% of ${w.databaseMaxAcu} ACU for 15 minutes: it is near its ceiling; raise database.serverless.maxAcu, or find the load.`,
      ...metric('AWS/RDS', 'ServerlessDatabaseCapacity', { DBClusterIdentifier: w.database }, 'Maximum', 300),
      EvaluationPeriods: 3,
      Threshold: Math.round(w.databaseMaxAcu * t.dbCapacityPercent) / 100,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  }
  if (w.scheduleDlq)
    out.push({
      ...common,
      AlarmName: `${p}schedule-failures`,
      AlarmDescription: `A scheduled run could not start and went to the dead-letter queue ${w.scheduleDlq}. deploy-wizard status shows which schedule and why.`,
      ...metric('AWS/SQS', 'ApproximateNumberOfMessagesVisible', { QueueName: w.scheduleDlq }, 'Maximum', 300),
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  for (const c of w.custom ?? [])
    out.push({
      ...common,
      AlarmName: `${p}metric-${c.name}`,
      AlarmDescription: c.description ?? `${c.metric.namespace} ${c.metric.name} (${c.metric.statistic}) ${c.comparison} ${c.threshold}`,
      ...metric(c.metric.namespace, c.metric.name, c.metric.dimensions, c.metric.statistic, c.periodMinutes * 60),
      EvaluationPeriods: c.evaluationPeriods,
      Threshold: c.threshold,
      ComparisonOperator: comparisonOperator(c.comparison),
    });
  for (const l of w.logPatterns ?? [])
    out.push({
      ...common,
      AlarmName: `${p}log-${l.name}`,
      AlarmDescription: `At least ${l.threshold} log lines matching ${l.pattern} in ${l.periodMinutes} minutes. See deploy-wizard logs.`,
      ...metric(logMetricNamespace(w), l.name, {}, 'Sum', l.periodMinutes * 60),
      EvaluationPeriods: l.evaluationPeriods,
      Threshold: l.threshold,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  for (const node of w.cacheNodes) {
    const c = { CacheClusterId: node };
    const suffix = w.cacheNodes.length > 1 ? `-${node.split('-').pop()}` : '';
    out.push({
      ...common,
      AlarmName: `${p}cache-memory-high${suffix}`,
      AlarmDescription: `Cache node ${node}: memory above ${t.cacheMemoryPercent}% for 15 minutes; keys will be evicted. A bigger node type is due.`,
      ...metric('AWS/ElastiCache', 'DatabaseMemoryUsagePercentage', c, 'Average', 300),
      EvaluationPeriods: 3,
      Threshold: t.cacheMemoryPercent,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    out.push({
      ...common,
      AlarmName: `${p}cache-evictions${suffix}`,
      AlarmDescription: `Cache node ${node}: more than ${t.cacheEvictions} keys evicted in 5 minutes: it is too small for what it holds.`,
      ...metric('AWS/ElastiCache', 'Evictions', c, 'Sum', 300),
      EvaluationPeriods: 1,
      Threshold: t.cacheEvictions,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  }
  return out;
}

/** The dashboard: one graph per alarm, each with its threshold as a horizontal line, in the alarms' order. */
export function dashboardBody(specs: AlarmSpec[], region: string): string {
  const widgets = specs.map((a, i) => ({
    type: 'metric',
    x: (i % 3) * 8,
    y: Math.floor(i / 3) * 6,
    width: 8,
    height: 6,
    properties: {
      title: a.AlarmName,
      region,
      view: 'timeSeries',
      stat: a.Statistic ?? a.ExtendedStatistic ?? 'Average',
      period: a.Period ?? 300,
      metrics: a.Metrics
        ? a.Metrics.map((m) =>
            m.Expression
              ? [{ expression: m.Expression, id: m.Id, label: m.Label }]
              : [
                  m.MetricStat!.Metric!.Namespace,
                  m.MetricStat!.Metric!.MetricName,
                  ...m.MetricStat!.Metric!.Dimensions!.flatMap((d) => [d.Name, d.Value]),
                  { id: m.Id, stat: m.MetricStat!.Stat, visible: false },
                ],
          )
        : [[a.Namespace, a.MetricName, ...(a.Dimensions ?? []).flatMap((d) => [d.Name, d.Value])]],
      annotations: { horizontal: [{ label: 'alarm', value: a.Threshold }] },
    },
  }));
  return JSON.stringify({ widgets });
}
