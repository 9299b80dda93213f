import { describe, expect, it } from 'vitest';
import { runSteps } from '../../../src/pipeline/runner.js';
import { makeContextFactory } from '../../../src/pipeline/context-factory.js';
import { computePlan, estimateCost } from '../../../src/pipeline/planner.js';
import { formatSummary } from '../../../src/ui/format-summary.js';
import { createAwsClients } from '../../../src/aws/clients.js';
import { createLogger, Redactor } from '../../../src/logger.js';
import { parseConfig } from '../../../src/config/load-config.js';
import { emptyState } from '../../../src/state/state-file.js';
import { systemClock } from '../../../src/clock.js';
import { network } from '../../../steps/network.js';
import type { Session } from '../../../src/session.js';
import type { Step } from '../../../src/pipeline/step.js';
import type { Io } from '../../../src/options.js';
import { hello, sneaky } from '../../fixtures/hello-step.js';

function session(steps: Step[]): Session {
  const config = parseConfig(JSON.stringify({ app: 'hello-app', region: 'us-east-1', image: {}, service: { port: 8080 } }), 'test', 'prod');
  return {
    loaded: { config, dir: process.cwd(), path: 'deploy-wizard.json', env: 'prod' },
    region: 'us-east-1',
    aws: createAwsClients({ region: 'us-east-1', customEndpoint: true }),
    steps,
    allSteps: async () => steps,
    account: '123456789012',
  };
}

const io = { env: {}, signal: new AbortController().signal } as unknown as Io;

async function run(s: Session) {
  const state = emptyState('hello-app', 'prod', new Date());
  await runSteps({
    steps: s.steps,
    state,
    save: async () => undefined,
    contextFor: makeContextFactory(s, state, io, async () => undefined, systemClock),
    makeLogger: (sink) => createLogger(sink, new Redactor(), false),
    renderer: 'silent',
    emit: () => undefined,
    signal: io.signal,
    now: () => new Date(),
  });
  return state;
}

describe('adding a step: one file and one line', () => {
  it('a step from its own file runs after what it depends on, and appears in the plan, the summary and the cost', async () => {
    const pipeline: Step[] = [network, hello]; // the one line
    const s = session(pipeline);
    const state = await run(s);
    expect(state.steps.hello?.status).toBe('done');
    const vpcId = (state.steps.network!.outputs as { vpcId: string }).vpcId;
    expect(state.steps.hello?.outputs).toEqual({ greeting: `hello ${vpcId}` });
    expect(formatSummary(s.loaded.config, 'prod', 'us-east-1', state, pipeline)).toMatch(/Greeting\s+hello vpc-/);
    const cost = estimateCost(s.loaded.config, pipeline);
    expect(cost.lines).toContainEqual({ component: 'Greetings', size: '1 a month', monthly: 1.25 });
    const plan = await computePlan(s, emptyState('hello-app', 'prod', new Date()), io, () => undefined);
    expect(plan.plans.find((p) => p.step === 'hello')?.items).toEqual([{ action: 'create', resource: 'greeting for hello-app' }]);
  });

  it('reading the outputs of a step not in dependsOn fails at once, naming both', async () => {
    const s = session([network, sneaky]);
    await expect(run(s)).rejects.toThrow('hello reads the outputs of network, which is not in its dependsOn');
  });
});
