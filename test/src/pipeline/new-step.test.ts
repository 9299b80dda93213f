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
import { manifest as network } from '../../../steps/network/manifest.js';
import { enabledManifests } from '../../../steps/index.js';
import { loadStep, type StepManifest } from '../../../src/pipeline/manifest.js';
import { allows, deployPolicy } from '../../../src/ci/deploy-policy.js';
import type { Session } from '../../../src/session.js';
import type { Step } from '../../../src/pipeline/step.js';
import type { Io } from '../../../src/options.js';
import { manifest as hello, sneaky } from '../../fixtures/hello-step/manifest.js';

async function session(manifests: StepManifest[]): Promise<Session> {
  const steps: Step[] = await Promise.all(manifests.map((m) => loadStep(m, false)));
  const config = parseConfig(JSON.stringify({ app: 'hello-app', region: 'us-east-1', image: {}, service: { port: 8080 } }), 'test', 'prod');
  return {
    loaded: { config, dir: process.cwd(), path: 'deploy-wizard.json', env: 'prod' },
    region: 'us-east-1',
    aws: createAwsClients({ region: 'us-east-1', customEndpoint: true }),
    steps,
    manifests,
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

describe('adding a step: a folder with a manifest and an apply, and one line', () => {
  it('a step from its own folder runs after what it depends on, and appears in the plan, the summary and the cost', async () => {
    const s = await session([network, hello] as StepManifest[]); // the one line
    const pipeline = s.steps;
    const state = await run(s);
    expect(state.steps.hello?.status).toBe('done');
    const vpcId = (state.steps.network!.outputs as { vpcId: string }).vpcId;
    expect(state.steps.hello?.outputs).toEqual({ greeting: `hello ${vpcId}` });
    expect(formatSummary(s.loaded.config, 'prod', 'us-east-1', state, pipeline)).toMatch(/Greeting\s+hello vpc-/);
    const cost = estimateCost(s.loaded.config, s.manifests);
    expect(cost.lines).toContainEqual({ component: 'Greetings', size: '1 a month', monthly: 1.25 });
    const plan = await computePlan(s, emptyState('hello-app', 'prod', new Date()), io, () => undefined);
    expect(plan.plans.find((p) => p.step === 'hello')?.items).toEqual([{ action: 'create', resource: 'greeting for hello-app' }]);
  });

  it('reading the outputs of a step not in dependsOn fails at once, naming both', async () => {
    const s = await session([network, sneaky] as StepManifest[]);
    await expect(run(s)).rejects.toThrow('hello reads the outputs of network, which is not in its dependsOn');
  });
});

describe('the CI role follows the manifests', () => {
  it("a new manifest's resource and grant reach the deploy role's policy, exactly, with no edit to src/ci", () => {
    const config = parseConfig(JSON.stringify({ app: 'hello-app', region: 'us-east-1', image: {}, service: { port: 8080 } }), 'test', 'prod');
    const where = {
      app: 'hello-app',
      env: 'prod',
      account: '123456789012',
      region: 'us-east-1',
      partition: 'aws',
      state: { bucket: 'acme-state', prefix: '' },
      deployRoleName: 'hello-app-prod-deploy',
    };
    const mine = 'arn:aws:ssm:us-east-1:123456789012:parameter/hello-app/prod/greeting';
    const without = deployPolicy(config, enabledManifests(config), where);
    const withHello = deployPolicy(config, [...enabledManifests(config), hello as StepManifest], where);
    expect(allows(without, 'ssm:PutParameter', mine)).toBe(false);
    expect(allows(withHello, 'ssm:PutParameter', mine)).toBe(true);
    expect(withHello.Statement.find((st) => st.Action.includes('ssm:PutParameter'))?.Resource).toBe(mine);
    expect(allows(withHello, 'ssm:PutParameter', 'arn:aws:ssm:us-east-1:123456789012:parameter/hello-app/prod-eu/greeting')).toBe(false);
  });
});
