// The CPU/memory pairs Fargate accepts (Linux), from the ECS task size table.
const MEMORY_BY_CPU: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

function describe(values: number[]): string {
  return values.length > 4 ? `${values[0]}-${values[values.length - 1]} in steps of ${values[1]! - values[0]!}` : values.join(', ');
}

/** Why this cpu/memory pair is not a Fargate task size, or undefined when it is. */
export function fargateProblem(cpu: number, memory: number): string | undefined {
  const allowed = MEMORY_BY_CPU[cpu];
  if (!allowed) return `cpu ${cpu} is not a Fargate size; use one of ${Object.keys(MEMORY_BY_CPU).join(', ')}`;
  if (!allowed.includes(memory)) return `${memory} MiB does not fit cpu ${cpu}; Fargate accepts ${describe(allowed)} MiB`;
  return undefined;
}
