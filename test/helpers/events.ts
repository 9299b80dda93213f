import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';

// Every --json line a test sees is checked against the published schema
// (schema/events.schema.json): runCli and recordedDeploy call this.

const schema = JSON.parse(readFileSync(join(import.meta.dirname, '../../schema/events.schema.json'), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

/** The problems of each stdout line of a --json run; empty when every line is one valid event. */
export function eventProblems(stdout: string): string[] {
  const out: string[] = [];
  for (const line of stdout.split('\n').filter((l) => l.trim())) {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      out.push(`not JSON: ${line.slice(0, 200)}`);
      continue;
    }
    if (!validate(v)) out.push(`${line.slice(0, 300)}\n  ${JSON.stringify(validate.errors?.slice(0, 3))}`);
  }
  return out;
}

export function assertEvents(stdout: string): void {
  const p = eventProblems(stdout);
  if (p.length) throw new Error(`--json output does not match schema/events.schema.json:\n${p.join('\n')}`);
}

/** The statuses the step events of a --json run reported, each once (the run's own "deploy" lines left out). */
export function stepStatuses(stdout: string): string[] {
  const events = stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { step: string; status: string });
  return [...new Set(events.filter((e) => e.step !== 'deploy').map((e) => e.status))];
}
