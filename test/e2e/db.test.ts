import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { makeApp, makeExampleApp, readState, runCli } from '../helpers/cli.js';
import { expectOk } from '../helpers/expect-ok.js';
import { startTaskRunner, type TaskRunner } from '../helpers/task-runner.js';
import { ensurePgClientImage, PG_CLIENT_IMAGE } from '../helpers/pg-client-image.js';

const rds = new RDSClient({ region: 'us-east-1' });
const secretJson = async (id: string) =>
  JSON.parse((await new SecretsManagerClient({ region: 'us-east-1' }).send(new GetSecretValueCommand({ SecretId: id }))).SecretString!);
const instance = async (id: string) => (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })).catch(() => undefined))?.DBInstances?.[0];

// The db commands against the task runner (test/helpers/task-runner.ts): psql runs in a real container of
// database.clientImage, whose RDS endpoint leads to the stand-in Postgres (PGlite); snapshots and restores are moto's.
describe('db', () => {
  let runner: TaskRunner;
  let dir: string;
  let app: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    const s = inject('standins').env;
    const image = ensurePgClientImage(s);
    runner = await startTaskRunner({
      upstream: s.AWS_ENDPOINT_URL!,
      dockerHost: s.DOCKER_HOST!,
      registry: s.DEPLOY_WIZARD_REGISTRY!,
      databasePort: Number(new URL(s.DEPLOY_WIZARD_DB_URL!).port),
    });
    // No DEPLOY_WIZARD_DB_URL: the pgvector step runs as on AWS, a one-off task of the client image inside the VPC.
    env = { AWS_ENDPOINT_URL: runner.url, DEPLOY_WIZARD_DB_URL: '' };
    ({ dir, app } = makeApp((c) => {
      c.database = { name: 'appdb', instanceClass: 'db.t4g.micro', extensions: ['vector'], clientImage: image };
    }));
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: dir, env }));
  });

  it('the pgvector step ran in a real container: the database, the app role and the extension, read back from its log', async () => {
    const out = readState(dir).steps.pgvector.outputs;
    expect(out).toMatchObject({ database: 'appdb', via: 'task', appRole: `${app}_app`, extensions: { vector: expect.stringMatching(/^0\.\d+\.\d+$/) } });
    const t = [...runner.tasks.values()].find((x) => x.command?.join(' ').includes('CREATE EXTENSION'))!;
    expect(t.exitCode).toBe(0);
    expect(t.image).toBe(PG_CLIENT_IMAGE);
  });
  afterAll(async () => {
    await runner?.close();
  });

  it('db sql runs psql inside the VPC as the app role (or the master user) and exits with its exit code', async () => {
    const r = await runCli(['db', 'sql', '-c', 'select 42 as answer'], { cwd: dir, env });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/answer\s*\n-+\n\s*42\n\(1 row\)/);
    // It ran the client image with the app role's name and the password from Secrets Manager, never on the command line.
    const t = [...runner.tasks.values()].find((x) => x.env.DW_SQL === 'select 42 as answer')!;
    expect(t.image).toBe(PG_CLIENT_IMAGE);
    expect(t.command!.join(' ')).toContain(`PGUSER='${app}_app' PGPASSWORD="$APP_DB_PASSWORD" psql -X -v ON_ERROR_STOP=1 -d 'appdb'`);
    expect(t.env.APP_DB_PASSWORD).toBe((await secretJson(`${app}/prod/db-app`)).password);
    expect(t.command!.join(' ')).not.toContain(t.env.APP_DB_PASSWORD);

    const master = await runCli(['db', 'sql', '--as', 'master', '-f', 'q.sql'], { cwd: dir, env });
    expect(master.code).toBe(2);
    expect(master.stderr).toContain('--file q.sql: ENOENT');
    const failed = await runCli(['db', 'sql', '--as', 'master', '-c', 'select no_such_column'], { cwd: dir, env });
    // psql's own exit code for an error in a script with ON_ERROR_STOP.
    expect(failed.code).toBe(3);
    expect(failed.stdout).toContain('no_such_column');
    // SQL on stdin, as in `deploy-wizard db sql < seed.sql`: several statements, as the master user.
    const piped = await runCli(['db', 'sql', '--as', 'master'], {
      cwd: dir,
      env,
      input: 'create table if not exists seeds (n int);\ninsert into seeds values (7);\nselect count(*) as seeded from seeds;\n',
    });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toMatch(/seeded\s*\n-+\n\s*\d+\n/);
    const none = await runCli(['db', 'sql'], { cwd: dir, env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give it with -c "SQL", -f FILE, or on stdin');

    // An image that cannot be pulled: the task stops before it runs, and the error says why (ECS's stop reason).
    const path = join(dir, 'deploy-wizard.json');
    const config = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...config, database: { ...config.database, clientImage: 'localhost/dw-no-such-image:1' } }));
    const pull = await runCli(['db', 'sql', '-c', 'select 1'], { cwd: dir, env });
    writeFileSync(path, JSON.stringify(config));
    expect(pull.code, pull.stderr + pull.stdout).toBe(1);
    expect(pull.stderr).toMatch(/run: task [0-9a-f]{8} stopped without running to the end: CannotPullContainerError: .*; no exit code/);
  });

  it('db snapshot and db snapshots; db restore moves the app to a new instance and keeps the old; a kill mid-restore leaves no twin', async () => {
    const snap = await runCli(['db', 'snapshot', 'before-cutover'], { cwd: dir, env });
    expect(snap.code, snap.stderr).toBe(0);
    expect(snap.stdout.trim()).toBe('before-cutover');
    const s = (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'before-cutover' }))).DBSnapshots![0]!;
    expect(s.DBInstanceIdentifier).toBe(`${app}-prod`);
    expect(s.TagList).toEqual(expect.arrayContaining([{ Key: 'deploy-wizard:app', Value: app }]));
    const list = await runCli(['db', 'snapshots'], { cwd: dir, env });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^before-cutover\s+manual\s+available/m);

    // Killed the moment RDS accepted the restore: the state names the new instance, and the next run waits for it.
    const killed = await runCli(['db', 'restore', 'before-cutover', '--non-interactive'], {
      cwd: dir,
      env: { ...env, DEPLOY_WIZARD_FAULT_KILL_AFTER_CALL: 'RDS:RestoreDBInstanceFromDBSnapshot' },
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(readState(dir).restore).toMatchObject({ snapshot: 'before-cutover', identifier: `${app}-prod-r1` });
    const restored = await runCli(['db', 'restore', 'before-cutover', '--non-interactive'], { cwd: dir, env });
    expect(restored.code, restored.stderr).toBe(0);
    expect(await instance(`${app}-prod-r2`)).toBeUndefined();

    const state = readState(dir);
    expect(state.restore).toBeUndefined();
    expect(state.steps.rds.outputs).toMatchObject({ identifier: `${app}-prod-r1`, kept: [`${app}-prod`], restoredFrom: 'before-cutover' });
    const r1 = (await instance(`${app}-prod-r1`))!;
    expect(r1.DBInstanceClass).toBe('db.t4g.micro');
    expect(state.steps.rds.outputs.endpoint).toBe(r1.Endpoint!.Address);
    // The app's DATABASE_URL points at the new instance; the old one is kept, protected.
    expect((await secretJson(`${app}/prod`)).DATABASE_URL).toContain(`@${r1.Endpoint!.Address}:`);
    expect((await instance(`${app}-prod`))!.DeletionProtection).toBe(true);
    const statusOut = await runCli(['status'], { cwd: dir, env });
    expect(statusOut.stdout).toContain(`${app}-prod (kept after a restore`);

    // Nothing left to do: a deploy makes no mutating call.
    const from = runner.seen.length;
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: dir, env }));
    expect(runner.mutatingSince(from)).toEqual([]);

    const refused = await runCli(['db', 'forget-old', '--non-interactive'], { cwd: dir, env });
    expect(refused.code).toBe(2);
    const forgot = await runCli(['db', 'forget-old', '--yes'], { cwd: dir, env });
    expect(forgot.code, forgot.stderr).toBe(0);
    expect(await instance(`${app}-prod`)).toBeUndefined();
    expect(readState(dir).steps.rds.outputs.kept).toEqual([]);
  });

  it('db restore of an Aurora cluster: a new cluster from the cluster snapshot, its writer and reader made by the deploy, the app moved to it, the old one kept', async () => {
    const {
      dir: adir,
      app: a,
      secrets: asked,
    } = makeExampleApp('agencio-predict', (c) => {
      Object.assign(c.database, { engine: 'aurora-postgresql', serverless: { minAcu: 0.5, maxAcu: 2 }, readers: 1 });
      delete c.database.instanceClass;
    });
    const aenv = { ...asked, AWS_ENDPOINT_URL: runner.url };
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: adir, env: aenv }));
    expect((await runCli(['db', 'snapshot', 'aurora-before'], { cwd: adir, env: aenv })).code).toBe(0);
    const restored = await runCli(['db', 'restore', 'aurora-before', '--non-interactive'], { cwd: adir, env: aenv });
    expect(restored.code, restored.stderr).toBe(0);
    const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: `${a}-prod-r1` }))).DBClusters![0]!;
    expect(cluster.ServerlessV2ScalingConfiguration).toMatchObject({ MinCapacity: 0.5, MaxCapacity: 2 });
    expect((cluster.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier).sort()).toEqual([`${a}-prod-r1-1`, `${a}-prod-r1-2`]);
    const out = readState(adir).steps.rds.outputs;
    expect(out).toMatchObject({ identifier: `${a}-prod-r1`, endpoint: cluster.Endpoint, kept: [`${a}-prod`], restoredFrom: 'aurora-before' });
    const secret = await secretJson(`${a}/prod`);
    expect(secret.DATABASE_URL).toContain(`@${cluster.Endpoint}:`);
    expect(secret.DATABASE_READ_URL).toContain(`@${cluster.ReaderEndpoint}:`);
    expect((await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: `${a}-prod` }))).DBClusters![0]!.DeletionProtection).toBe(true);
    const from = runner.seen.length;
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: adir, env: aenv }));
    expect(runner.mutatingSince(from)).toEqual([]);
    const forgot = await runCli(['db', 'forget-old', '--yes'], { cwd: adir, env: aenv });
    expect(forgot.code, forgot.stderr).toBe(0);
    expect(await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: `${a}-prod` })).catch((e) => e.name)).toBe('DBClusterNotFoundFault');
  });
});
