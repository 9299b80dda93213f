import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetBucketLifecycleConfigurationCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { makeApp, readState, runCli } from '../helpers/cli.js';
import { expectOk } from '../helpers/expect-ok.js';
import { startDebianPostgres } from '../helpers/postgres-server.js';
import { routeOf, targetGroupOf } from '../helpers/alb-rules.js';
import { MUTATING } from '../helpers/step-context.js';
import { allows } from '../../src/ci/deploy-policy.js';

const region = 'us-east-1';
const elb = new ElasticLoadBalancingV2Client({ region });
const ecs = new ECSClient({ region });
const sm = new SecretsManagerClient({ region });
const iam = new IAMClient({ region });
const s3 = new S3Client({ region, forcePathStyle: true });

/** The mutating AWS calls a --verbose run printed ("aws Service Command"). */
const mutating = (stderr: string) => [...stderr.matchAll(/^aws (\S+) (\S+)$/gm)].filter((m) => MUTATING.test(m[2]!)).map((m) => `${m[1]}:${m[2]}`);

async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, q: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(q, params)).rows;
  } finally {
    await c.end();
  }
}

// Preview environments end to end on the stand-ins: moto for AWS, podman and the registry for the image, and a
// real Postgres (Debian's) reached directly (DEPLOY_WIZARD_DB_URL), where the clone runs the same pg_dump |
// pg_restore script the task would, with this machine's PostgreSQL client.
describe('preview environments', () => {
  let db: Awaited<ReturnType<typeof startDebianPostgres>>;
  let dir: string;
  let app: string;
  let env: Record<string, string>;
  const hostOf = (n: string) => `${n}.preview.example.com`;
  const dbUrl = (database: string, user = 'postgres', password = '') =>
    db.url
      .replace(/^postgresql:\/\/postgres@/, `postgresql://${user}${password ? `:${encodeURIComponent(password)}` : ''}@`)
      .replace(/\/postgres$/, `/${database}`);
  const secretJson = async (name: string) => JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: name }))).SecretString!);

  beforeAll(async () => {
    db = await startDebianPostgres();
    env = { DEPLOY_WIZARD_DB_URL: db.url };
    ({ dir, app } = makeApp((c) => {
      c.database = { name: 'appdb', instanceClass: 'db.t4g.micro', extensions: [] };
      c.cache = {};
      c.secrets = { PARTNER_API_KEY: { prompt: 'the partner API key' }, SESSION_SECRET: { generate: 'hex-32' } };
      // The parent also serves /api/* from a service the previews do not run: its route must not answer their names.
      c.services = { web: { ...c.service, routes: ['/*'] }, api: { ...c.service, routes: ['/api/*'] } };
      delete c.service;
      c.previews = { from: 'staging', domain: 'preview.example.com', services: ['web'], database: 'clone', ttlDays: 7 };
    }));
    expectOk(await runCli(['deploy', '--env', 'staging', '--non-interactive'], { cwd: dir, env: { ...env, PARTNER_API_KEY: 'pk-parent-1234' } }));
    // The parent's data, as its migrations would have made it: as its own role (whose new tables the previews' role may read).
    const appRole = readState(dir, 'staging').steps.rds.outputs.appUser;
    await sql(
      dbUrl('appdb'),
      `SET ROLE ${appRole};
       CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL); INSERT INTO items (name) SELECT 'item ' || i FROM generate_series(1, 50) i;
       CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'first'), (2, 'second');`,
    );
  }, 240_000);
  afterAll(() => db?.stop());

  it('two previews: each its rule, service, secret and cloned database; writes stay apart; routed by host; down leaves the rest', async () => {
    // Its plan first: read-only, what it would make, and its cost (its tasks alone).
    const plan = await runCli(['preview', 'plan', 'pr-1', '--verbose'], { cwd: dir, env });
    expectOk(plan);
    expect(plan.stdout).toContain(`Plan for preview pr-1 of ${app} (staging)`);
    expect(plan.stdout).toMatch(/create\s+route pr-1\.preview\.example\.com\/\* → web/);
    expect(plan.stdout).toMatch(/create\s+database appdb_pr_1/);
    expect(plan.stdout).toMatch(/Total\s+\$\s*9\.01\/month/);
    expect(mutating(plan.stderr)).toEqual([]);
    for (const n of ['pr-1', 'pr-2']) {
      const up = await runCli(['preview', 'up', n, '--non-interactive', '--json'], { cwd: dir, env });
      expectOk(up);
      const last = JSON.parse(up.stdout.trim().split('\n').pop()!);
      expect(last).toMatchObject({ step: 'preview', status: 'done', preview: n, url: `http://${hostOf(n)}`, monthly: 9.01 });
    }
    const parent = readState(dir, 'staging');
    const states = { 'pr-1': readState(dir, 'staging--pr-1'), 'pr-2': readState(dir, 'staging--pr-2') };

    // One listener, the parent's: each preview's one rule for its host, in the band the parent never uses.
    const lbArn = parent.steps['load-balancer'].outputs.loadBalancerArn;
    const [listener] = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }))).Listeners!;
    const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: listener!.ListenerArn }))).Rules!;
    for (const [n, s] of Object.entries(states)) {
      const mine = rules.filter((r) => r.Conditions?.some((c) => c.HostHeaderConfig?.Values?.includes(hostOf(n))));
      expect(mine).toHaveLength(1);
      expect(Number(mine[0]!.Priority)).toBeGreaterThanOrEqual(10_000);
      // A request for the preview's name reaches its target group, which its own service serves.
      const tg = s.steps['load-balancer'].outputs.targetGroups.web;
      expect(targetGroupOf(routeOf(rules, { host: hostOf(n).toUpperCase(), path: '/health' }))).toBe(tg);
      const svc = (await ecs.send(new DescribeServicesCommand({ cluster: `${app}-staging`, services: [`${app}--${n}-web`] }))).services![0]!;
      expect(svc.loadBalancers?.[0]?.targetGroupArn).toBe(tg);
      expect(svc.desiredCount).toBe(1);
    }
    // Any other name still reaches the parent, whose own routes and default are as they were.
    const parentTgs = parent.steps['load-balancer'].outputs.targetGroups;
    expect(targetGroupOf(routeOf(rules, { host: 'staging.example.com', path: '/health' }))).toBe(parentTgs.web);
    // The parent's /api/* answers the parent's own name only (here the load balancer's): a preview's /api/x is the
    // preview's, never the parent's api.
    const lbName = parent.steps['load-balancer'].outputs.dnsName;
    expect(
      rules
        .filter((r) => !r.IsDefault && Number(r.Priority) < 10_000)
        .map((r) => r.Conditions?.find((c) => c.Field === 'host-header')?.HostHeaderConfig?.Values),
    ).toEqual([[lbName.toLowerCase()]]);
    expect(targetGroupOf(routeOf(rules, { host: lbName, path: '/api/orders' }))).toBe(parentTgs.api);
    expect(targetGroupOf(routeOf(rules, { host: hostOf('pr-1'), path: '/api/orders' }))).toBe(states['pr-1'].steps['load-balancer'].outputs.targetGroups.web);
    // No load balancer, cluster or database instance was made for them.
    const lbs = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers!.filter((l) => l.LoadBalancerName!.startsWith(app));
    expect(lbs).toHaveLength(1);

    // Each its secret: the asked value copied, the generated one generated afresh, DATABASE_URL and REDIS_URL its own.
    const parentSecret = await secretJson(`${app}/staging`);
    const dbs: Record<string, { url: string; role: string; password: string }> = {};
    for (const [i, n] of ['pr-1', 'pr-2'].entries()) {
      const v = await secretJson(`${app}/staging/previews/${n}`);
      expect(v.PARTNER_API_KEY).toBe('pk-parent-1234');
      expect(v.SESSION_SECRET).toMatch(/^[0-9a-f]{64}$/);
      expect(v.SESSION_SECRET).not.toBe(parentSecret.SESSION_SECRET);
      const database = `appdb_${n.replace('-', '_')}`;
      const u = new URL(v.DATABASE_URL);
      expect(u.pathname).toBe(`/${database}`);
      expect(v.REDIS_URL).toMatch(new RegExp(`:\\d+/${i + 1}$`));
      expect(parentSecret.REDIS_URL).not.toMatch(/\/\d+$/);
      dbs[n] = {
        url: dbUrl(database, decodeURIComponent(u.username), decodeURIComponent(u.password)),
        role: decodeURIComponent(u.username),
        password: decodeURIComponent(u.password),
      };
    }

    // The clones hold the parent's rows, owned by each preview's own role.
    for (const n of ['pr-1', 'pr-2']) {
      expect(await sql(dbs[n]!.url, 'SELECT (SELECT count(*) FROM items)::int AS items, (SELECT count(*) FROM notes)::int AS notes')).toEqual([
        { items: 50, notes: 2 },
      ]);
      expect(await sql(dbUrl(`appdb_${n.replace('-', '_')}`), "SELECT tableowner FROM pg_tables WHERE tablename = 'items'")).toEqual([
        { tableowner: dbs[n]!.role },
      ]);
    }
    // A write in pr-1 is seen neither in the parent nor in pr-2; and pr-1's role cannot write (or read) the parent's.
    await sql(dbs['pr-1']!.url, "INSERT INTO items (name) VALUES ('only in pr-1')");
    expect(await sql(dbUrl('appdb'), 'SELECT count(*)::int AS n FROM items')).toEqual([{ n: 50 }]);
    expect(await sql(dbs['pr-2']!.url, 'SELECT count(*)::int AS n FROM items')).toEqual([{ n: 50 }]);
    const intoParent = dbUrl('appdb', dbs['pr-1']!.role, dbs['pr-1']!.password);
    await expect(sql(intoParent, "INSERT INTO items (name) VALUES ('x')")).rejects.toThrow(/permission denied/);
    await expect(sql(intoParent, 'SELECT 1 FROM items')).rejects.toThrow(/permission denied/);
    // The role previews sign in as (never the master user) reads the parent's tables and writes none of them.
    const admin = await secretJson(`${app}/staging/previews/_admin`);
    expect(await sql(dbUrl('postgres'), 'SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = $1', [admin.username])).toEqual([
      { rolsuper: false, rolcreatedb: true, rolcreaterole: true },
    ]);
    const asAdmin = dbUrl('appdb', admin.username, admin.password);
    expect(await sql(asAdmin, 'SELECT count(*)::int AS n FROM items')).toEqual([{ n: 50 }]);
    await expect(sql(asAdmin, "INSERT INTO items (name) VALUES ('x')")).rejects.toThrow(/permission denied/);
    await expect(sql(asAdmin, 'DELETE FROM notes')).rejects.toThrow(/permission denied/);

    // --data-from copies another preview's database, with what was written there.
    expectOk(await runCli(['preview', 'up', 'pr-4', '--data-from', 'pr-1', '--non-interactive'], { cwd: dir, env }));
    expect(await sql(dbUrl('appdb_pr_4'), 'SELECT count(*)::int AS n FROM items')).toEqual([{ n: 51 }]);
    expectOk(await runCli(['preview', 'down', 'pr-4', '--no-keep', '--non-interactive'], { cwd: dir, env }));

    // The preview's task role may read its own secret and not the parent's; its objects only under previews/NAME/.
    const role = `${app}-staging--pr-1-task`;
    const policy = JSON.parse(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: 'deploy-wizard' }))).PolicyDocument!));
    const arnOf = async (name: string) => (await sm.send(new DescribeSecretCommand({ SecretId: name }))).ARN!;
    expect(allows(policy, 'secretsmanager:GetSecretValue', await arnOf(`${app}/staging/previews/pr-1`))).toBe(true);
    expect(allows(policy, 'secretsmanager:GetSecretValue', await arnOf(`${app}/staging`))).toBe(false);
    expect(allows(policy, 'secretsmanager:GetSecretValue', await arnOf(`${app}/staging/previews/pr-2`))).toBe(false);
    const bucket = parent.steps['s3-buckets'].outputs.buckets[0].name;
    expect(allows(policy, 's3:PutObject', `arn:aws:s3:::${bucket}/previews/pr-1/a.png`)).toBe(true);
    expect(allows(policy, 's3:PutObject', `arn:aws:s3:::${bucket}/a.png`)).toBe(false);
    expect(allows(policy, 's3:ListBucket', `arn:aws:s3:::${bucket}`, { 's3:prefix': 'previews/pr-1/' })).toBe(true);
    expect(allows(policy, 's3:ListBucket', `arn:aws:s3:::${bucket}`, { 's3:prefix': '' })).toBe(false);

    // Again: nothing to change, not a mutating call; nor in the parent.
    const again = await runCli(['preview', 'up', 'pr-1', '--non-interactive', '--verbose'], { cwd: dir, env });
    expectOk(again);
    expect(mutating(again.stderr)).toEqual([]);

    // pr-1 goes: its rule, service, secret, database and role; pr-2 and the parent are as they were.
    const list = await runCli(['preview', 'list', '--json'], { cwd: dir, env });
    expectOk(list);
    expect(JSON.parse(list.stdout).previews.map((p: { name: string }) => p.name)).toEqual(['pr-1', 'pr-2']);
    expectOk(await runCli(['preview', 'down', 'pr-1', '--non-interactive'], { cwd: dir, env }));
    const after = (await elb.send(new DescribeRulesCommand({ ListenerArn: listener!.ListenerArn }))).Rules!;
    expect(targetGroupOf(routeOf(after, { host: hostOf('pr-1'), path: '/health' }))).toBe(parent.steps['load-balancer'].outputs.targetGroups.web);
    expect(targetGroupOf(routeOf(after, { host: hostOf('pr-2'), path: '/health' }))).toBe(states['pr-2'].steps['load-balancer'].outputs.targetGroups.web);
    expect((await sql(dbUrl('postgres'), 'SELECT datname FROM pg_database ORDER BY 1')).map((r) => r.datname)).toEqual(
      expect.not.arrayContaining(['appdb_pr_1']),
    );
    expect(await sql(dbUrl('postgres'), 'SELECT rolname FROM pg_roles WHERE rolname = $1', [dbs['pr-1']!.role])).toEqual([]);
    expect(await sql(dbs['pr-2']!.url, 'SELECT count(*)::int AS n FROM items')).toEqual([{ n: 50 }]);
    expect(await sql(dbUrl('appdb'), 'SELECT count(*)::int AS n FROM items')).toEqual([{ n: 50 }]);
    // Its database was kept first: a pg_dump -Fc archive in the parent's transfer bucket, expiring after previews.ttlDays.
    const transfer = `${app}-staging-transfer-123456789012`;
    const kept = (await s3.send(new ListObjectsV2Command({ Bucket: transfer, Prefix: 'previews/pr-1/' }))).Contents!;
    expect(kept.map((o) => o.Key)).toEqual([expect.stringMatching(/^previews\/pr-1\/\d{8}T\d{6}\.dump$/)]);
    const archive = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: transfer, Key: kept[0]!.Key }))).Body!.transformToByteArray());
    expect(archive.subarray(0, 5).toString()).toBe('PGDMP');
    const lifecycle = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: transfer }))).Rules!;
    expect(lifecycle.find((r) => r.Filter?.Prefix === 'previews/')).toMatchObject({ Status: 'Enabled', Expiration: { Days: 7 } });
    expect(lifecycle.find((r) => r.Filter?.Prefix === 'db/')).toMatchObject({ Status: 'Enabled', Expiration: { Days: 1 } });
    const gone = (await ecs.send(new DescribeServicesCommand({ cluster: `${app}-staging`, services: [`${app}--pr-1-web`] }))).services![0];
    expect(gone?.status ?? 'INACTIVE').not.toBe('ACTIVE');
    const parentAgain = await runCli(['deploy', '--env', 'staging', '--non-interactive', '--verbose'], {
      cwd: dir,
      env: { ...env, PARTNER_API_KEY: 'pk-parent-1234' },
    });
    expectOk(parentAgain);
    expect(mutating(parentAgain.stderr)).toEqual([]);
    // Down again: nothing to do.
    const twice = await runCli(['preview', 'down', 'pr-1', '--non-interactive'], { cwd: dir, env });
    expectOk(twice);
    expect(twice.stdout).toContain('There is no preview pr-1 of staging up; nothing to do.');

    // prune: pr-2, last brought up eight days ago, goes; pr-3, just up, stays.
    const p2 = join(dir, '.deploy-wizard', 'staging--pr-2.state.json');
    const s2 = JSON.parse(readFileSync(p2, 'utf8'));
    s2.preview.upAt = new Date(Date.now() - 8 * 86_400_000).toISOString();
    writeFileSync(p2, JSON.stringify(s2), { mode: 0o600 });
    expectOk(await runCli(['preview', 'up', 'pr-3', '--non-interactive'], { cwd: dir, env }));
    const prune = await runCli(['preview', 'prune', '--non-interactive', '--json'], { cwd: dir, env });
    expectOk(prune);
    expect(JSON.parse(prune.stdout.trim().split('\n').pop()!).pruned).toEqual(['pr-2']);
    const left = await runCli(['preview', 'list', '--json'], { cwd: dir, env });
    expect(JSON.parse(left.stdout).previews.map((p: { name: string }) => p.name)).toEqual(['pr-3']);

    // The parent's status lists it, with its URL and cost; the parent cannot be destroyed under it.
    const status = await runCli(['status', '--env', 'staging'], { cwd: dir, env });
    expect(status.stdout).toMatch(/Previews\n\s+NAME\s+URL.*\n\s+pr-3\s+http:\/\/pr-3\.preview\.example\.com\s+0h\s+0h ago\s+clone\s+\$9\.01/);
    const destroy = await runCli(['destroy', '--env', 'staging', '--yes', '--non-interactive'], { cwd: dir, env });
    expect(destroy.code).toBe(2);
    expect(destroy.stderr).toContain('preview pr-3: deploy-wizard preview down pr-3');
    expectOk(await runCli(['preview', 'down', 'pr-3', '--no-keep', '--non-interactive'], { cwd: dir, env }));

    // database "shared": the parent's own database through a read-only role; "empty": a new database, nothing in it.
    const cfgPath = join(dir, 'deploy-wizard.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    for (const [mode, n] of [
      ['shared', 'pr-s'],
      ['empty', 'pr-e'],
    ] as const) {
      writeFileSync(cfgPath, JSON.stringify({ ...cfg, previews: { ...cfg.previews, database: mode } }));
      expectOk(await runCli(['preview', 'up', n, '--non-interactive'], { cwd: dir, env }));
    }
    const shared = new URL((await secretJson(`${app}/staging/previews/pr-s`)).DATABASE_URL);
    const sharedUrl = dbUrl('appdb', decodeURIComponent(shared.username), decodeURIComponent(shared.password));
    expect(shared.pathname).toBe('/appdb');
    expect(await sql(sharedUrl, 'SELECT count(*)::int AS n FROM items')).toEqual([{ n: 50 }]);
    await expect(sql(sharedUrl, "INSERT INTO items (name) VALUES ('x')")).rejects.toThrow(/permission denied/);
    expect(new URL((await secretJson(`${app}/staging/previews/pr-e`)).DATABASE_URL).pathname).toBe('/appdb_pr_e');
    expect(await sql(dbUrl('appdb_pr_e'), "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).toEqual([{ n: 0 }]);
    // A preview keeps its kind of database for its life: a changed previews.database is refused, and nothing changes.
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, previews: { ...cfg.previews, database: 'shared' } }));
    const switched = await runCli(['preview', 'up', 'pr-e', '--non-interactive'], { cwd: dir, env });
    expect(switched.code, switched.stderr).toBe(2);
    expect(switched.stderr).toContain('previews.database: pr-e was brought up with "empty" and it is now "shared"');
    expect(switched.stderr).toContain('deploy-wizard preview down pr-e, then preview up pr-e');
    expect(new URL((await secretJson(`${app}/staging/previews/pr-e`)).DATABASE_URL).pathname).toBe('/appdb_pr_e');
    for (const n of ['pr-s', 'pr-e']) expectOk(await runCli(['preview', 'down', n, '--non-interactive'], { cwd: dir, env }));
    // The shared preview's role is gone, and the parent's database with all its rows is still there.
    expect(await sql(dbUrl('postgres'), 'SELECT rolname FROM pg_roles WHERE rolname = $1', [decodeURIComponent(shared.username)])).toEqual([]);
    expect(await sql(dbUrl('appdb'), 'SELECT count(*)::int AS n FROM items')).toEqual([{ n: 50 }]);
    writeFileSync(cfgPath, JSON.stringify(cfg));
    expect((await s3.send(new ListObjectsV2Command({ Bucket: transfer, Prefix: 'previews/pr-3/' }))).Contents ?? []).toEqual([]);
    expect((await s3.send(new ListObjectsV2Command({ Bucket: transfer, Prefix: 'previews/pr-2/' }))).Contents).toHaveLength(1);
  }, 600_000);

  it('bad input is refused before anything is made, naming the flag or key', async () => {
    const bad = await runCli(['preview', 'up', 'PR_1'], { cwd: dir, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('preview up PR_1: use 1-20 lowercase letters, digits and single hyphens');
    const other = await runCli(['preview', 'up', 'pr-9', '--env', 'prod'], { cwd: dir, env });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('--env: previews.from is staging');
    const from = await runCli(['preview', 'up', 'pr-9', '--data-from', 'pr-404', '--non-interactive'], { cwd: dir, env });
    expect(from.code).toBe(2);
    expect(from.stderr).toContain('--data-from pr-404: preview list shows the previews that are up');
    // The parent deployed before it had a domain: its certificate and alias records do not cover the previews' names yet.
    const withDomain = JSON.parse(readFileSync(join(dir, 'deploy-wizard.json'), 'utf8'));
    withDomain.domain = { name: 'staging.example.com', zone: 'example.com' };
    writeFileSync(join(dir, 'with-domain.json'), JSON.stringify(withDomain));
    const uncovered = await runCli(['preview', 'up', 'pr-9', '--config', 'with-domain.json', '--non-interactive'], { cwd: dir, env });
    expect(uncovered.code, uncovered.stderr).toBe(2);
    expect(uncovered.stderr).toContain(
      "previews.domain: staging's certificate and alias records do not cover *.preview.example.com; its next deploy adds it to domain.aliases",
    );
    expect(uncovered.stderr).toContain('deploy-wizard deploy --env staging');
    expect(readState(dir, 'staging--pr-9')).toBeUndefined();
    const { dir: noParent } = makeApp((c) => {
      c.previews = { from: 'qa', domain: 'preview.example.com' };
    });
    const undeployed = await runCli(['preview', 'up', 'pr-1', '--non-interactive'], { cwd: noParent, env });
    expect(undeployed.code).toBe(2);
    expect(undeployed.stderr).toContain('previews.from: qa has not finished network, service');
  });
});
