import type { Config } from '../config/schema.js';
import type { StateFile } from '../state/state-file.js';
import type { Step, StepId, StepOutputs, SummaryView } from '../pipeline/step.js';
import { estimateCost } from '../pipeline/planner.js';
import { formatCost } from './format-plan.js';

/**
 * What a user needs after a successful deploy: each step's own rows (URL,
 * endpoints, names) in pipeline order, then its notes (how to read logs, roll
 * back), then the cost. Outputs never hold secrets, so neither does this.
 */
/** `stateWhere`: where the state really is (a path relative to the app, or an s3:// URL). */
export function formatSummary(
  config: Config,
  env: string,
  region: string,
  state: StateFile,
  steps: readonly Step[],
  stateWhere = `.deploy-wizard/${env}.state.json`,
): string {
  const view: SummaryView = { config, env, region, output: <K extends StepId>(id: K) => state.steps[id]?.outputs as StepOutputs[K] | undefined };
  const lines = [`Deployed ${config.app} (${env}) to ${region}, account ${state.account}.`, ''];
  const notes: string[] = [];
  // The service's URL and the health check come first: they are what the user came for.
  const order = [...steps].sort((a, b) => rank(a.id) - rank(b.id));
  for (const step of order) {
    const out = state.steps[step.id]?.outputs;
    if (!out || !step.summary) continue;
    const part = step.summary(out as never, view);
    for (const [label, value] of part.rows ?? []) if (value) lines.push(`  ${label.padEnd(12)}${value}`);
    if (part.notes?.length) notes.push('', ...part.notes);
  }
  lines.push(`  ${'State'.padEnd(12)}${stateWhere}`);
  lines.push(...notes);
  lines.push('', 'Estimated monthly cost', formatCost(estimateCost(config, steps)));
  lines.push('', 'Run the same command again at any time: unchanged steps are checked, not redone.');
  return lines.join('\n');
}

const FIRST: readonly string[] = ['service', 'first-boot'];
const rank = (id: string) => (FIRST.includes(id) ? FIRST.indexOf(id) - FIRST.length : 0);
