import { randomBytes } from 'node:crypto';
import { RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { parseConfig } from '../../src/config/load-config.js';
import { createAwsClients, type CallHook } from '../../src/aws/clients.js';
import { createLogger, Redactor } from '../../src/logger.js';
import { systemClock } from '../../src/clock.js';
import { httpProbe } from '../../src/probe.js';
import type { StepContext } from '../../src/pipeline/context.js';
import type { Intent } from '../../src/state/state-file.js';

/** A real step context against the stand-ins (moto via AWS_ENDPOINT_URL), for driving one step in-process. */
export function stepContext(configEdit: Record<string, unknown> = {}, opts: { region?: string; onCall?: CallHook; env?: string } = {}) {
  const app = `t${randomBytes(3).toString('hex')}`;
  const config = parseConfig(
    JSON.stringify({ app, region: opts.region ?? 'us-east-1', image: {}, service: { port: 8080, cpu: 256, memory: 512 }, ...configEdit }),
    'test',
    opts.env ?? 'prod',
  );
  const intents: Record<string, Intent> = {};
  const logs: string[] = [];
  // Any step's context: a test hands it to whichever step it drives.
  const ctx: StepContext<any> = {
    app,
    env: opts.env ?? 'prod',
    region: config.region,
    account: '123456789012',
    config,
    configDir: process.cwd(),
    aws: createAwsClients({ region: config.region, customEndpoint: true, onCall: opts.onCall }),
    settings: { buildEnv: {} },
    log: createLogger((l, m) => logs.push(`${l}: ${m}`), new Redactor(), true),
    clock: systemClock,
    probe: httpProbe,
    signal: new AbortController().signal,
    output: () => {
      throw new Error('no upstream outputs in this test');
    },
    previous: () => undefined,
    intents: {
      get: (k) => intents[k],
      record: async (k, v) => {
        intents[k] = v;
      },
      clear: async (k) => {
        delete intents[k];
      },
    },
  };
  return { ctx, app, intents, logs };
}

export { MUTATING } from '../../src/aws/mutating.js';

/**
 * A minimal Fargate task definition of family `<app>-prod` in moto, in the
 * shape the task-definition step outputs (as service "web"): for driving the service and one-off
 * task code without the steps before them.
 */
export async function registerTaskDefinition(ctx: StepContext, app: string) {
  const td = (
    await ctx.aws.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: `${app}-prod`,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [{ name: app, image: 'x', memoryReservation: 512, portMappings: [{ containerPort: 8080 }] }],
      }),
    )
  ).taskDefinition!;
  const web = { family: td.family!, taskDefinitionArn: td.taskDefinitionArn!, revision: td.revision!, containerName: app, streamPrefix: 'ecs' };
  // The task-definition step's output (one service, "web"), with that service's fields alongside for one-off task tests.
  return { ...web, logGroup: `/ecs/${app}-prod`, services: { web } };
}
