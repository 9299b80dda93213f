import type { Settings, StepContext } from './context.js';
import type { Session } from '../session.js';
import type { StateFile } from '../state/state-file.js';
import type { Logger } from '../logger.js';
import type { Step, StepId, StepOutputs } from './step.js';
import type { Io } from '../options.js';
import { systemClock, type Clock } from '../clock.js';
import { httpProbe } from '../probe.js';

/** Builds the context one step sees: its config slice, clients, upstream outputs and a way to record intents. */
export function makeContextFactory(
  session: Session,
  state: StateFile,
  io: Io,
  save: () => Promise<void>,
  clock: Clock = systemClock,
  extra: Partial<Settings> = {},
) {
  return (step: Step, log: Logger): StepContext => ({
    app: session.loaded.config.app,
    env: session.loaded.env,
    region: session.region,
    account: session.account,
    config: session.loaded.config,
    ...(session.preview ? { preview: session.preview } : {}),
    configDir: session.loaded.dir,
    aws: session.aws,
    docker: session.docker,
    settings: {
      registryOverride: io.env.DEPLOY_WIZARD_REGISTRY || undefined,
      dbUrl: io.env.DEPLOY_WIZARD_DB_URL || undefined,
      healthUrl: io.env.DEPLOY_WIZARD_HEALTH_URL || undefined,
      buildEnv: io.env,
      ...extra,
    },
    log,
    clock,
    probe: httpProbe,
    signal: io.signal,
    output: <K extends StepId>(id: K): StepOutputs[K] => {
      // A step reads only what it waits for: an undeclared read would race the step that writes it.
      if (!step.dependsOn.includes(id)) throw new Error(`${step.id} reads the outputs of ${id}, which is not in its dependsOn`);
      const out = state.steps[id]?.outputs;
      if (!out) throw new Error(`${step.id} needs the outputs of ${id}, which has not run`);
      return out as unknown as StepOutputs[K];
    },
    previous: () => state.steps[step.id]?.outputs as never,
    intents: {
      get: (key) => state.steps[step.id]?.intents?.[key],
      record: async (key, intent) => {
        state.steps[step.id] ??= { status: 'running' };
        const s = state.steps[step.id]!;
        s.intents = { ...s.intents, [key]: { ...intent, at: clock.now().toISOString() } };
        await save();
      },
      clear: async (key) => {
        const s = state.steps[step.id];
        if (!s?.intents?.[key]) return;
        const { [key]: _gone, ...rest } = s.intents;
        s.intents = rest;
        await save();
      },
    },
  });
}
