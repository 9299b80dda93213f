import { describe, expect, it } from 'vitest';
import { boundaryPolicy, policyVars, roleSpecs } from '../../../src/aws/app-roles.js';
import { allows } from '../../../src/ci/deploy-policy.js';
import { parseConfig } from '../../../src/config/load-config.js';
import { configProblems } from '../../helpers/config-problems.js';

const PERMISSIONS = [
  { actions: ['cloudwatch:PutMetricData'], resources: ['*'], namespace: 'Espejo/Usage' },
  { actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] },
];

describe('permissions on actions IAM cannot scope to a resource', () => {
  it('accepts "*" for them alone, and a namespace only on cloudwatch:PutMetricData; names the key otherwise', () => {
    expect(configProblems({ permissions: PERMISSIONS })).toBe('');
    expect(configProblems({ permissions: [{ actions: ['bedrock:InvokeModel', 'xray:PutTraceSegments'], resources: ['*'] }] })).toMatch(
      /permissions\[0\]\.resources: "\*" is accepted only for actions IAM cannot scope to a resource; bedrock:InvokeModel takes ARNs: name them/,
    );
    expect(configProblems({ permissions: [{ actions: ['xray:PutTraceSegments'], resources: ['*', 'arn:aws:s3:::b'] }] })).toMatch(
      /permissions\[0\]\.resources: "\*" stands alone/,
    );
    expect(configProblems({ permissions: [{ actions: ['cloudwatch:PutMetricData', 'xray:PutTraceSegments'], resources: ['*'], namespace: 'A' }] })).toMatch(
      /permissions\[0\]\.namespace: only on a permission whose one action is cloudwatch:PutMetricData/,
    );
  });

  it('the task role may put metrics into its namespace only and send traces; the boundary holds both, with the condition', () => {
    const config = parseConfig(
      JSON.stringify({ app: 'espejo', region: 'us-east-1', image: {}, service: { port: 8080 }, permissions: PERMISSIONS }),
      'test',
      'prod',
    );
    const where = { app: 'espejo', env: 'prod', account: '123456789012', region: 'us-east-1', config };
    const task = roleSpecs(where, policyVars(where, {})).find((s) => s.kind === 'task')!.inline as never;
    const boundary = boundaryPolicy(where) as never;
    for (const policy of [task, boundary]) {
      expect(allows(policy, 'cloudwatch:PutMetricData', '*', { 'cloudwatch:namespace': 'Espejo/Usage' })).toBe(true);
      expect(allows(policy, 'cloudwatch:PutMetricData', '*', { 'cloudwatch:namespace': 'AWS/EC2' })).toBe(false);
      expect(allows(policy, 'cloudwatch:PutMetricData', '*')).toBe(false);
      expect(allows(policy, 'xray:PutTraceSegments', '*')).toBe(true);
    }
    expect((task as { Statement: unknown[] }).Statement).toContainEqual({
      Sid: 'AppPermissions1',
      Effect: 'Allow',
      Action: ['cloudwatch:PutMetricData'],
      Resource: '*',
      Condition: { StringEquals: { 'cloudwatch:namespace': 'Espejo/Usage' } },
    });
  });
});
