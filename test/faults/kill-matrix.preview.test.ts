import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ECSClient, ListServicesCommand } from '@aws-sdk/client-ecs';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { makeApp, readState, runCli } from '../helpers/cli.js';
import { expectOk } from '../helpers/expect-ok.js';
import { startDebianPostgres } from '../helpers/postgres-server.js';

const region = 'us-east-1';
const elb = new ElasticLoadBalancingV2Client({ region });
const ecs = new ECSClient({ region });
const sm = new SecretsManagerClient({ region });

// preview up killed (SIGKILL) right after each kind of create call it makes, then run again: it finishes, and
// nothing it makes exists twice. One preview per kill point, on one parent.
describe('preview up killed after each create call', () => {
  let db: Awaited<ReturnType<typeof startDebianPostgres>>;
  let dir: string;
  let app: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await startDebianPostgres();
    env = { DEPLOY_WIZARD_DB_URL: db.url };
    ({ dir, app } = makeApp((c) => {
      c.database = { name: 'appdb', instanceClass: 'db.t4g.micro', extensions: [] };
      c.previews = { from: 'staging', domain: 'preview.example.com', database: 'clone' };
    }));
    expectOk(await runCli(['deploy', '--env', 'staging', '--non-interactive'], { cwd: dir, env }));
    const c = new pg.Client({ connectionString: db.url.replace(/\/postgres$/, '/appdb') });
    await c.connect();
    await c.query(`SET ROLE ${readState(dir, 'staging').steps.rds.outputs.appUser}; CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 7)`);
    await c.end();
  }, 240_000);
  afterAll(() => db?.stop());

  const points = [
    'SecretsManager:CreateSecret',
    'ELBv2:CreateTargetGroup',
    'ELBv2:CreateRule',
    'IAM:CreateRole',
    'ECS:RegisterTaskDefinition',
    'ECS:CreateService',
  ];
  it.each(points.map((p, i) => [p, `k${i + 1}`]))(
    'after %s (preview %s)',
    async (point, name) => {
      const killed = await runCli(['preview', 'up', name, '--non-interactive'], { cwd: dir, env: { ...env, DEPLOY_WIZARD_FAULT_KILL_AFTER_CALL: point } });
      expect(killed.signal, `${point} was never called:\n${killed.stderr}`).toBe('SIGKILL');
      expectOk(await runCli(['preview', 'up', name, '--non-interactive'], { cwd: dir, env }));

      const host = `${name}.preview.example.com`;
      const listener = (
        await elb.send(new DescribeListenersCommand({ LoadBalancerArn: readState(dir, 'staging').steps['load-balancer'].outputs.loadBalancerArn }))
      ).Listeners![0]!;
      const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }))).Rules!;
      expect(rules.filter((r) => r.Conditions?.some((c) => c.HostHeaderConfig?.Values?.includes(host)))).toHaveLength(1);
      const tgs = (await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups!.filter((t) => t.TargetGroupName === `${app}-staging-pv-${name}-web`);
      expect(tgs).toHaveLength(1);
      const services = (await ecs.send(new ListServicesCommand({ cluster: `${app}-staging` }))).serviceArns!.filter((a) => a.endsWith(`/${app}--${name}-web`));
      expect(services).toHaveLength(1);
      const secrets = (await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [`${app}/staging/previews/${name}`] }] }))).SecretList!;
      expect(secrets.map((s) => s.Name).sort()).toEqual([`${app}/staging/previews/${name}`, `${app}/staging/previews/${name}/db`]);
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      const dbs = (await c.query('SELECT datname FROM pg_database WHERE datname LIKE $1', [`appdb_${name}%`])).rows.map((r) => r.datname);
      await c.end();
      expect(dbs).toEqual([`appdb_${name}`]);
    },
    120_000,
  );
});
