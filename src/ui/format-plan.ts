import type { PlanItem } from '../pipeline/step.js';
import type { CostLine } from '../pipeline/step.js';

const MARK = { create: '+', update: '~', keep: '=', delete: '-' } as const;

export function formatPlan(plans: { step: string; items: PlanItem[] }[]): string {
  const lines: string[] = [];
  for (const { step, items } of plans) {
    lines.push(`${step}`);
    for (const i of items) {
      lines.push(`  ${MARK[i.action]} ${i.action.padEnd(6)} ${i.resource}${i.detail ? `  (${i.detail})` : ''}`);
      for (const c of i.changes ?? []) lines.push(`             ${c}`);
    }
  }
  const count = (a: PlanItem['action']) => plans.reduce((n, p) => n + p.items.filter((i) => i.action === a).length, 0);
  lines.push(
    '',
    `${count('create')} to create, ${count('update')} to change, ${count('delete') ? `${count('delete')} to delete, ` : ''}${count('keep')} unchanged`,
  );
  return lines.join('\n');
}

export function formatCost(cost: { lines: CostLine[]; total: number; note: string }): string {
  const w = Math.max(...cost.lines.map((l) => l.component.length));
  const sw = Math.max(...cost.lines.map((l) => l.size.length));
  const out = cost.lines.map(
    (l) => `  ${l.component.padEnd(w)}  ${l.size.padEnd(sw)}  ${l.monthly === undefined ? '     n/a' : `$${l.monthly.toFixed(2).padStart(7)}`}`,
  );
  out.push(`  ${'Total'.padEnd(w)}  ${''.padEnd(sw)}  $${cost.total.toFixed(2).padStart(7)}/month`, `  ${cost.note}`);
  return out.join('\n');
}
