import { describe, expect, it } from 'vitest';
import { ECSClient, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { freePortSync } from '../helpers/free-port.js';
import { makeApp, makeExampleApp, readState, runCli } from '../helpers/cli.js';
import { recordedDeploy, mutatingCalls } from '../helpers/recorded-deploy.js';
import { expectOk } from '../helpers/expect-ok.js';
import { giveDomain } from '../helpers/hosted-zone.js';

const ecs = (region = 'us-east-1') => new ECSClient({ region });

describe('whole-app examples (several services, workers, schedules) through the CLI', () => {
  it.each(['whole-apps/agencio-predict', 'whole-apps/arbiter-ai', 'whole-apps/espejo', 'whole-apps/postmagiq'])(
    '%s deploys every service through first-boot, then again with no mutating call',
    async (example) => {
      const { dir, app, secrets, config } = makeExampleApp(example);
      await giveDomain(dir, app);
      const first = await recordedDeploy(dir, secrets);
      expect(first.code, `${first.error?.message} ${(first.error as any)?.hint ?? ''}`).toBe(0);
      const state = readState(dir);
      expect(Object.keys(state.steps.service.outputs.services).sort()).toEqual(Object.keys(config.services).sort());
      expect(Object.keys(state.steps.schedules.outputs.schedules).sort()).toEqual(Object.keys(config.schedules ?? {}).sort());
      expect(state.steps['first-boot'].outputs.checks.every((c: any) => c.ok)).toBe(true);
      // Its domain, static site and firewall, as the seed runbooks have them.
      if (config.domain) expect(state.steps.dns.outputs.records.length).toBeGreaterThan(0);
      if (config.site) expect(state.steps.site.outputs.files).toBe(2);
      if (config.edge?.waf) expect(state.steps.waf.outputs.scope).toBe(config.site ? 'CLOUDFRONT' : 'REGIONAL');
      // espejo's alarms go to Slack as well, through AWS Chatbot (the run's stand-in authorises the example workspace).
      if (config.alarms?.slack)
        expect(state.steps.alarms.outputs.slack.configurationArn).toBe(`arn:aws:chatbot::123456789012:chat-configuration/slack-channel/${app}-prod-alarms`);
      if (config.migrations) {
        // Default: the web service on "/*" (espejo's is api).
        const runAs = config.migrations.service ?? Object.keys(config.services).find((k) => config.services[k].routes?.includes('/*'));
        expect(state.steps.migrations.outputs.ranFor).toBe(state.steps['task-definition'].outputs.services[runAs].taskDefinitionArn);
      }
      // Secrets shaped per service: arbiter-ai's backend reads an asyncpg URL, its frontend a node-postgres one
      // and AUTH_SECRET from the NEXTAUTH_SECRET key, each as its task definition says.
      for (const [name, svc] of Object.entries<any>(config.services).filter(([, s]) => s.database || s.secrets)) {
        const arn = state.steps['task-definition'].outputs.services[name].taskDefinitionArn;
        const td = (await ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }))).taskDefinition!;
        const refs = Object.fromEntries(td.containerDefinitions![0]!.secrets!.map((x) => [x.name, x.valueFrom!.split(':').at(-3)]));
        if (svc.database) expect(refs.DATABASE_URL, name).toBe(`DATABASE_URL_${name.toUpperCase()}`);
        for (const ref of svc.secrets ?? []) if (typeof ref === 'object') for (const [env, key] of Object.entries(ref)) expect(refs[env], name).toBe(key);
        if (svc.secrets) expect(Object.keys(refs).sort(), name).toEqual(svc.secrets.map((r: any) => (typeof r === 'string' ? r : Object.keys(r)[0])).sort());
        else expect(Object.keys(refs), name).not.toContain('DATABASE_URL_WEB');
      }
      if (config.services.api?.database) {
        const value = JSON.parse(
          (await new SecretsManagerClient({ region: 'us-east-1' }).send(new GetSecretValueCommand({ SecretId: `${app}/prod` }))).SecretString!,
        );
        expect(value.DATABASE_URL_API).toMatch(/^postgresql\+asyncpg:\/\/.*\?ssl=require$/);
        expect(value.DATABASE_URL_WEB).toMatch(/^postgresql:\/\/.*\?sslmode=require&uselibpqcompat=true$/);
      }
      const again = await recordedDeploy(dir, secrets);
      expect(again.code).toBe(0);
      expect(mutatingCalls(again.names)).toEqual([]);
    },
  );
});

describe('the examples through the CLI', () => {
  it.each(['agencio-predict', 'arbiter-ai', 'espejo', 'postmagiq'])(
    '%s deploys through first-boot, then again with no mutating call and the same revision',
    async (example) => {
      const { dir, app, secrets, config } = makeExampleApp(example);
      const first = await runCli(['--non-interactive'], { cwd: dir, env: secrets });
      expectOk(first);
      const state = readState(dir);
      const expected = ['network', 'ecr-push', 's3-buckets', 'secrets', 'iam-roles', 'task-definition', 'load-balancer', 'service', 'first-boot'].filter(
        (id) => id !== 's3-buckets' || config.buckets,
      );
      for (const id of expected) expect(state.steps[id]?.status, id).toBe('done');
      if (config.migrations)
        expect(state.steps.migrations.outputs).toMatchObject({ exitCode: 0, ranFor: state.steps['task-definition'].outputs.services.web.taskDefinitionArn });
      expect(state.steps['first-boot'].outputs.checks.every((c: any) => c.ok)).toBe(true);
      expect(first.stdout).toContain('URL         http://');
      expect(first.stdout).toContain(`Secret      ${app}/prod`);
      expect(first.stdout).toMatch(/aws logs tail \/ecs\/.* --follow/);

      const again = await recordedDeploy(dir, secrets);
      expect(again.code).toBe(0);
      expect(mutatingCalls(again.names)).toEqual([]);
      expect(again.calls.map((c) => c.name)).not.toContain('ECS:RunTask');
      expect(again.events.filter((e) => e.step !== 'deploy').every((e) => e.status === 'unchanged')).toBe(true);
      const td = await ecs(config.region).send(new DescribeTaskDefinitionCommand({ taskDefinition: `${app}-prod-web` }));
      expect(td.taskDefinition!.revision).toBe(1);
      expect(readState(dir).steps['task-definition'].outputs.services.web.revision).toBe(1);
    },
  );

  it('fails first-boot at its deadline with the checks and the diagnosis when the app never answers', async () => {
    const { dir } = makeApp((c) => (c.validation = { path: '/health', expectStatus: 200, timeoutSeconds: 5 }));
    const started = Date.now();
    const r = await runCli(['--non-interactive'], { cwd: dir, env: { DEPLOY_WIZARD_HEALTH_URL: `http://127.0.0.1:${freePortSync()}` } });
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(r.stderr).toMatch(/probe health: http:\/\/127\.0\.0\.1:\d+\/health did not answer as expected within 5s: no answer \(ECONNREFUSED\)/);
    expect(r.stderr).toMatch(/✖ GET http:\/\/127\.0\.0\.1:\d+\/health/);
    expect(r.stderr).toMatch(/What ECS says:\nrollout: COMPLETED/);
    expect(readState(dir).steps['first-boot'].status).toBe('failed');
    expect(readState(dir).steps.service.status).toBe('done');
  });
});

/**
 * ECS as moto cannot play it: a rollout the circuit breaker marks FAILED, and
 * tasks that stop with a non-zero exit code. Everything else (VPC, load
 * balancer, logs) is the real stand-in.
 */
