import { describe, expect, it } from 'vitest';
import { runSteps, type StepEvent } from '../../../src/pipeline/runner.js';
import { emptyState, type StateFile } from '../../../src/state/state-file.js';
import { createLogger, Redactor } from '../../../src/logger.js';
import type { Step, StepId } from '../../../src/pipeline/step.js';
import type { StepContext } from '../../../src/pipeline/context.js';
import { InterruptedError, StepError } from '../../../src/errors.js';

// The runner's logic (ordering, skipping, resuming, saving) with steps that
// record what they were asked to do. Real steps are tested against the stand-ins.
interface Fake {
  id: string;
  deps?: string[];
  input?: unknown;
  fail?: string;
  verifyOk?: boolean;
  delay?: number;
}

function fakeSteps(fakes: Fake[], log: string[]): Step<any>[] {
  return fakes.map((f) => ({
    id: f.id as StepId,
    title: f.id,
    dependsOn: (f.deps ?? []) as StepId[],
    inputs: async () => f.input ?? 1,
    plan: async () => [],
    apply: async (ctx: StepContext) => {
      log.push(`start ${f.id}`);
      if (f.delay) await new Promise((r) => setTimeout(r, f.delay));
      if (f.fail) throw new Error(f.fail);
      if (f.deps?.length) ctx.output(f.deps[0]! as StepId);
      log.push(`end ${f.id}`);
      return { made: f.id };
    },
    verify: async () => [{ name: f.id, ok: f.verifyOk ?? true }],
  }));
}

async function run(fakes: Fake[], state: StateFile, opts: { signal?: AbortSignal } = {}) {
  const log: string[] = [];
  const events: StepEvent[] = [];
  let saves = 0;
  const result = runSteps({
    steps: fakeSteps(fakes, log),
    state,
    save: async () => {
      saves++;
    },
    contextFor: () =>
      ({
        output: (id: string) => {
          if (!state.steps[id]?.outputs) throw new Error(`no outputs for ${id}`);
          return state.steps[id]!.outputs;
        },
      }) as unknown as StepContext,
    makeLogger: (sink) => createLogger(sink, new Redactor(), false),
    renderer: 'silent',
    emit: (e) => events.push(e),
    signal: opts.signal ?? new AbortController().signal,
    now: () => new Date('2026-11-22T00:00:00Z'),
  });
  return { result, log, events, saves: () => saves };
}

describe('runner', () => {
  it('starts a step only after its dependencies, and overlaps independent ones', async () => {
    const state = emptyState('a', 'prod', new Date());
    const { result, log } = await run([{ id: 'slow', delay: 30 }, { id: 'fast' }, { id: 'after-slow', deps: ['slow'] }], state);
    await result;
    expect(log.indexOf('start fast')).toBeLessThan(log.indexOf('end slow'));
    expect(log.indexOf('start after-slow')).toBeGreaterThan(log.indexOf('end slow'));
    expect(Object.values(state.steps).map((s) => s.status)).toEqual(['done', 'done', 'done']);
  });

  it('waits for a dependency listed after the step that needs it', async () => {
    const state = emptyState('a', 'prod', new Date());
    const { result, log } = await run(
      [
        { id: 'needs-later', deps: ['later'] },
        { id: 'later', delay: 10 },
      ],
      state,
    );
    expect((await result).outcome).toEqual({ 'needs-later': 'done', later: 'done' });
    expect(log).toEqual(['start later', 'end later', 'start needs-later', 'end needs-later']);
  });

  it('skips a done step whose inputs are unchanged and whose check passes', async () => {
    const state = emptyState('a', 'prod', new Date());
    await (
      await run([{ id: 's1' }, { id: 's2', input: 'v1' }], state)
    ).result;
    const again = await run([{ id: 's1' }, { id: 's2', input: 'v2' }], state);
    expect((await again.result).outcome).toEqual({ s1: 'unchanged', s2: 'done' });
    expect(again.log).toEqual(['start s2', 'end s2']);
  });

  it('converges again when the check finds drift', async () => {
    const state = emptyState('a', 'prod', new Date());
    await (
      await run([{ id: 's1' }], state)
    ).result;
    const again = await run([{ id: 's1', verifyOk: false }], state);
    expect((await again.result).outcome).toEqual({ s1: 'done' });
    expect(again.log).toEqual(['start s1', 'end s1']);
  });

  it('records a failure, skips its dependents, saves, and resumes at the failed step', async () => {
    const state = emptyState('a', 'prod', new Date());
    const first = await run([{ id: 'ok' }, { id: 'bad', fail: 'boom' }, { id: 'needs-bad', deps: ['bad'] }], state);
    const err = await first.result.catch((e) => e);
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toContain('boom');
    expect(state.steps['bad']).toMatchObject({ status: 'failed', error: { message: expect.stringContaining('boom') } });
    expect(state.steps['needs-bad']).toBeUndefined();
    expect(first.events.find((e) => e.step === 'needs-bad')?.status).toBe('skipped');
    expect(first.saves()).toBeGreaterThanOrEqual(4);

    const second = await run([{ id: 'ok' }, { id: 'bad' }, { id: 'needs-bad', deps: ['bad'] }], state);
    expect((await second.result).outcome).toEqual({ ok: 'unchanged', bad: 'done', 'needs-bad': 'done' });
    expect(second.log).toEqual(['start bad', 'end bad', 'start needs-bad', 'end needs-bad']);
  });

  it('starts nothing new once aborted and reports an interruption', async () => {
    const state = emptyState('a', 'prod', new Date());
    const ac = new AbortController();
    const r = await run(
      [
        { id: 'first', delay: 20 },
        { id: 'second', deps: ['first'] },
      ],
      state,
      { signal: ac.signal },
    );
    setTimeout(() => ac.abort(), 5);
    const err = await r.result.catch((e) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect(err.exitCode).toBe(130);
    expect(r.log).not.toContain('start second');
    expect(state.steps['second']).toBeUndefined();
  });
});

describe('the pipeline in steps/index.ts', () => {
  it('lists every step after the steps it depends on, and names only steps that exist', async () => {
    const steps = await (await import('../../../steps/index.js')).loadAllSteps();
    const seen = new Set<string>();
    for (const s of steps) {
      for (const d of s.dependsOn) {
        expect(
          steps.map((x) => x.id),
          `${s.id} depends on unknown ${d}`,
        ).toContain(d);
        expect(seen.has(d), `${s.id} is listed before ${d}`).toBe(true);
      }
      seen.add(s.id);
    }
  });
});
