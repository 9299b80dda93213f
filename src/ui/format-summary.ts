import type { Config } from '../config/schema.js';
import type { StateFile } from '../state/state-file.js';
import type { EcrPushOutput } from '../../steps/ecr-push.js';
import type { S3BucketsOutput } from '../../steps/s3-buckets.js';
import { estimateCost } from '../cost.js';

/** What a user needs after a successful deploy. Only ids and names: outputs never hold secrets. */
export function formatSummary(config: Config, env: string, region: string, state: StateFile): string {
  const lines = [`Deployed ${config.app} (${env}) to ${region}, account ${state.account}.`, ''];
  const image = state.steps['ecr-push']?.outputs as EcrPushOutput | undefined;
  if (image) lines.push(`  Image       ${image.imageUri}`, `  Tag         ${image.imageTag}`);
  const buckets = state.steps['s3-buckets']?.outputs as S3BucketsOutput | undefined;
  if (buckets) lines.push(`  Buckets     ${buckets.buckets.map((b) => b.name).join(', ')}`);
  lines.push(`  State       .deploy-wizard/${env}.state.json`);
  lines.push(`  Estimate    ~$${estimateCost(config).total.toFixed(0)}/month once every component is running (deploy-wizard plan shows the breakdown)`);
  lines.push('', 'Run the same command again at any time: unchanged steps are checked, not redone.');
  return lines.join('\n');
}
