import type { Config } from '../config/schema.js';
import type { StateFile } from '../state/state-file.js';
import type { EcrPushOutput } from '../../steps/ecr-push.js';
import type { S3BucketsOutput } from '../../steps/s3-buckets.js';
import type { RdsOutput } from '../../steps/rds.js';
import type { ElastiCacheOutput } from '../../steps/elasticache.js';
import type { SecretsOutput } from '../../steps/secrets.js';
import type { CognitoOutput } from '../../steps/cognito.js';
import type { ServiceOutput } from '../../steps/service.js';
import type { TaskDefinitionOutput } from '../../steps/task-definition.js';
import type { FirstBootOutput } from '../../steps/first-boot.js';
import { estimateCost } from '../cost.js';
import { formatCost } from './format-plan.js';

/** What a user needs after a successful deploy. Only ids, names and endpoints: outputs never hold secrets. */
export function formatSummary(config: Config, env: string, region: string, state: StateFile): string {
  const out = <T>(id: string) => state.steps[id]?.outputs as T | undefined;
  const svc = out<ServiceOutput>('service');
  const td = out<TaskDefinitionOutput>('task-definition');
  const boot = out<FirstBootOutput>('first-boot');
  const lines = [`Deployed ${config.app} (${env}) to ${region}, account ${state.account}.`, ''];
  const row = (label: string, value: string | undefined) => value && lines.push(`  ${label.padEnd(12)}${value}`);
  row('URL', svc?.url);
  row('Health', boot ? `${boot.url} answered (${boot.checks.filter((c) => c.ok).length}/${boot.checks.length} checks passed)` : undefined);
  row('Image', out<EcrPushOutput>('ecr-push')?.imageUri);
  row('Revision', td ? `${td.family}:${td.revision}` : undefined);
  const db = out<RdsOutput>('rds');
  row('Postgres', db ? `${db.endpoint}:${db.port}/${db.dbName}` : undefined);
  const cache = out<ElastiCacheOutput>('elasticache');
  row('Redis', cache ? `${cache.primaryEndpoint}:${cache.port}${cache.transitEncryption ? ' (TLS)' : ''}` : undefined);
  row('Buckets', out<S3BucketsOutput>('s3-buckets')?.buckets.map((b) => b.name).join(', '));
  const pool = out<CognitoOutput>('cognito');
  row('Cognito', pool ? `${pool.userPoolId}, client ${pool.clientId}` : undefined);
  const sec = out<SecretsOutput>('secrets');
  row('Secret', sec ? `${sec.name} (${sec.keys.length} keys; deploy-wizard secrets list)` : undefined);
  row('State', `.deploy-wizard/${env}.state.json`);
  if (td) {
    lines.push('', 'Logs:', `  aws logs tail ${td.logGroup} --follow --region ${region}`);
  }
  if (svc && td && td.revision > 1) {
    lines.push('Roll back to the previous revision:', `  aws ecs update-service --cluster ${svc.clusterName} --service ${svc.serviceName} --task-definition ${td.family}:${td.revision - 1} --region ${region}`);
  } else if (svc) {
    lines.push('Roll back: this is the first revision; a later deploy can go back to it with', `  aws ecs update-service --cluster ${svc.clusterName} --service ${svc.serviceName} --task-definition ${td?.family}:${td?.revision} --region ${region}`);
  }
  lines.push('', 'Estimated monthly cost', formatCost(estimateCost(config)));
  lines.push('', 'Run the same command again at any time: unchanged steps are checked, not redone.');
  return lines.join('\n');
}
