import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { inject } from 'vitest';
import { RunTaskCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { pgvector, parseVersions, setupScript } from '../../steps/pgvector/apply.js';
import { network } from '../../steps/network/apply.js';
import { stepContext } from '../helpers/step-context.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { startDebianPostgres } from '../helpers/postgres-server.js';

/** Runs the task's script with the real psql, as the container would: libpq's variables for the master user, the app role's password. */
function runScript(serverUrl: string, name: string, extensions: string[], role?: string) {
  const u = new URL(serverUrl);
  const env = {
    ...process.env,
    PGHOST: u.hostname,
    PGPORT: u.port,
    PGUSER: decodeURIComponent(u.username),
    PGPASSWORD: decodeURIComponent(u.password),
    PGSSLMODE: 'disable',
    APP_DB_PASSWORD: 'appRolePassw0rd',
  };
  return spawnSync('sh', ['-c', setupScript(name, extensions, role)], { env, encoding: 'utf8' });
}

describe('pgvector task mode', () => {
  it('its script creates the database and the extension on a real Postgres with pgvector (PGlite) and prints the versions', () => {
    const r = runScript(inject('standins').env.DEPLOY_WIZARD_DB_URL, 'task_db', ['vector'], 'task_app');
    expect(r.status, r.stderr).toBe(0);
    const u = new URL(inject('standins').env.DEPLOY_WIZARD_DB_URL);
    const asApp = spawnSync(
      'psql',
      [
        `postgresql://task_app:appRolePassw0rd@${u.host}/task_db?sslmode=disable`,
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        "CREATE TABLE IF NOT EXISTS docs (e vector(3)); INSERT INTO docs VALUES ('[1,2,3]')",
      ],
      { encoding: 'utf8' },
    );
    expect(asApp.status, asApp.stderr).toBe(0);
    expect(parseVersions(r.stdout.split('\n'))).toMatchObject({ vector: expect.stringMatching(/^0\.\d+\.\d+$/) });
  });

  it('its script fails, naming the extension, on a Postgres without pgvector', async () => {
    const pg = await startDebianPostgres();
    try {
      const r = runScript(pg.url, 'app_db', ['vector']);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/extension "vector" is not available/);
      expect(r.stdout).toContain('CREATE DATABASE'); // it got as far as the database
    } finally {
      pg.stop();
    }
  });

  it('runs the script as a one-off Fargate task in the VPC with the master credentials from Secrets Manager, and confirms versions from its log', async () => {
    const calls: { command: string; input: any }[] = [];
    const { ctx, app } = stepContext(
      { database: { name: 'app_db', engineVersion: '16.4', extensions: ['vector'], access: 'task' } },
      { onCall: (c) => calls.push({ command: c.command, input: c.input }) },
    );
    const { clock } = fakeClock();
    ctx.clock = clock;
    const net = await network.apply(ctx);
    const logGroup = `/ecs/${app}-prod`;
    await ctx.aws.logs.send(new CreateLogGroupCommand({ logGroupName: logGroup }));
    const outputs: Record<string, unknown> = {
      network: net,
      rds: {
        endpoint: 'db.example',
        port: 5432,
        masterSecretArn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${app}/prod/rds-master-AbCdEf`,
        appSecretArn: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${app}/prod/db-app-AbCdEf`,
        appUser: `${app}_app`,
      },
      'iam-roles': { executionRoleArn: `arn:aws:iam::123456789012:role/${app}-prod-execution`, taskRoleArn: `arn:aws:iam::123456789012:role/${app}-prod-task` },
      'task-definition': { family: `${app}-prod`, logGroup, containerName: app },
    };
    ctx.output = ((id: string) => outputs[id]) as any;
    // moto runs no container: write what the script prints (tested above on real Postgres) to the task's real log stream.
    const realEcs = ctx.aws.ecs;
    const ecs = {
      send: async (cmd: any) => {
        const res: any = await realEcs.send(cmd);
        if (cmd instanceof RunTaskCommand) {
          const stream = `ecs/db-setup/${res.tasks[0].taskArn.split('/').pop()}`;
          await ctx.aws.logs.send(new CreateLogStreamCommand({ logGroupName: logGroup, logStreamName: stream }));
          await ctx.aws.logs.send(
            new PutLogEventsCommand({
              logGroupName: logGroup,
              logStreamName: stream,
              logEvents: ['CREATE EXTENSION', 'dw-ext plpgsql 1.0', 'dw-ext vector 0.8.0'].map((message, i) => ({ message, timestamp: Date.now() + i })),
            }),
          );
        }
        return res;
      },
    };
    ctx.aws = new Proxy(ctx.aws, { get: (t: any, p) => (p === 'ecs' ? ecs : t[p]) });

    const out = await pgvector.apply(ctx);
    expect(out).toEqual({ database: 'app_db', extensions: { vector: '0.8.0' }, via: 'task', appRole: `${app}_app` });
    const run = calls.find((c) => c.command === 'RunTask')!.input;
    expect(run.launchType).toBe('FARGATE');
    expect(run.networkConfiguration.awsvpcConfiguration).toMatchObject({ subnets: net.subnetIds, securityGroups: [net.securityGroups.tasks] });
    expect(run.overrides.containerOverrides[0]).toEqual({ name: 'db-setup', command: ['sh', '-c', setupScript('app_db', ['vector'], `${app}_app`)] });
    expect(run.clientToken).toBeTruthy();
    const td = (await ctx.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: run.taskDefinition }))).taskDefinition!;
    expect(td.family).toBe(`${app}-prod-db-setup`);
    const rds = outputs.rds as any;
    // The master user's credentials and the app role's password come from Secrets Manager; only the host and port are plain.
    expect(td.containerDefinitions![0]).toMatchObject({
      image: 'public.ecr.aws/docker/library/postgres:16-alpine',
      secrets: [
        { name: 'PGUSER', valueFrom: `${rds.masterSecretArn}:username::` },
        { name: 'PGPASSWORD', valueFrom: `${rds.masterSecretArn}:password::` },
        { name: 'APP_DB_PASSWORD', valueFrom: `${rds.appSecretArn}:password::` },
      ],
    });
    expect(td.containerDefinitions![0]!.environment).toEqual([
      { name: 'PGHOST', value: 'db.example' },
      { name: 'PGPORT', value: '5432' },
      { name: 'PGSSLMODE', value: 'require' },
    ]);
    expect(td.executionRoleArn).toBe(outputs['iam-roles'] && (outputs['iam-roles'] as any).executionRoleArn);
  });
});
