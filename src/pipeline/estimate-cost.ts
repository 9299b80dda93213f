import type { Config } from '../config/schema.js';
import { PRICES_AS_OF, pricesFor, round } from '../pricing.js';
import type { CostLine } from './step.js';

export interface CostEstimate {
  lines: CostLine[];
  total: number;
  note: string;
}

/**
 * The monthly estimate: each enabled step's own lines, in pipeline order, with
 * lines of the same component added up (secrets from three steps are one
 * line). Unknown sizes are shown without a price, not guessed.
 */
export function estimateCost(config: Config, steps: readonly { cost?: (config: Config) => CostLine[] }[]): CostEstimate {
  const lines: CostLine[] = [];
  for (const step of steps) {
    for (const line of step.cost?.(config) ?? []) {
      const same = lines.find((l) => l.component === line.component);
      if (!same) {
        lines.push({ ...line });
        continue;
      }
      same.monthly = same.monthly === undefined || line.monthly === undefined ? undefined : round(same.monthly + line.monthly);
      if (same.quantity && line.quantity) {
        same.quantity = { n: same.quantity.n + line.quantity.n, unit: same.quantity.unit };
        same.size = `${same.quantity.n} ${same.quantity.unit}`;
      }
    }
  }
  const total = round(lines.reduce((a, l) => a + (l.monthly ?? 0), 0));
  const unknown = lines.filter((l) => l.monthly === undefined).map((l) => l.size);
  const used = pricesFor(config.region);
  const note =
    `On-demand list prices for ${used.region} as of ${PRICES_AS_OF}${used.exact ? '' : ` (none on file for ${config.region}: ${used.region}'s used)`}; data transfer not included.` +
    (unknown.length ? ` No price on file for ${unknown.join(', ')}: not included in the total.` : '');
  return { lines, total, note };
}
