import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeApp, runCli } from '../helpers/cli.js';

/**
 * Every bad input exits 2 (3 for state) naming the key, flag or file, before
 * any AWS call (counted by a recording endpoint standing in for AWS) and
 * without writing anything into the app's directory.
 */
let server: Server;
let endpoint = '';
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers['x-amz-target'] ?? ''}`);
    res.writeHead(500).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

interface Case {
  name: string;
  edit?: (c: any, dir: string) => void;
  args?: string[];
  env?: Record<string, string | undefined>;
  code?: number;
  says: string | RegExp;
}

const db = { name: 'app_db', extensions: ['vector'] };
/** The sample app's one web service moved off /* (onto /api/*), so a site can take the default path. */
const apiOnly = (c: any) => ((c.services = { api: { ...c.service, routes: ['/api/*', '/health'] } }), delete c.service);

const CASES: Case[] = [
  { name: 'a typo in a key', edit: (c) => ((c.servce = c.service), delete c.service), says: /servce: unknown key; did you mean "service"/ },
  { name: 'an app name with capitals', edit: (c) => (c.app = 'My_App'), says: /^\s+- app: use 2-32 lowercase/m },
  { name: 'an app name of 33 characters', edit: (c) => (c.app = 'a'.repeat(33)), says: /- app: use 2-32/ },
  { name: 'a region that does not exist', edit: (c) => (c.region = 'us-east-9'), says: /region: "us-east-9" is not an AWS region/ },
  { name: 'a region with a typo', edit: (c) => (c.region = 'us-est-1'), says: /did you mean "us-east-1"/ },
  { name: '--region that does not exist', args: ['--region', 'eu-middle-1'], says: /--region: "eu-middle-1" is not an AWS region/ },
  { name: '--env with characters a name cannot hold', args: ['--env', 'Prod!'], says: /--env Prod!: use lowercase/ },
  { name: 'an unknown flag', args: ['--regoin', 'us-east-1'], says: /read flags: Unknown option '--regoin'/ },
  { name: 'an unknown command', args: ['deplyo'], says: /unknown command "deplyo"/ },
  { name: 'an init flag on plan', args: ['plan', '--port', '3000'], says: /--port: a flag of init/ },
  { name: 'init with a port out of range', args: ['init', '--non-interactive', '--port', '0'], says: /--port 0: a port from 1 to 65535/ },
  { name: 'init with a component that is not one', args: ['init', '--non-interactive', '--with', 'mysql'], says: /--with mysql: mysql is not one of/ },
  {
    name: 'two web services on /*',
    edit: (c) => ((c.services = { site: { ...c.service, routes: ['/*'] }, api: { ...c.service, routes: ['/*'] } }), delete c.service),
    says: /services\.api\.routes\[0\]: "\/\*" is already the route of site/,
  },
  {
    name: 'a schedule with a five-field cron',
    edit: (c) => (
      (c.services = { web: c.service, worker: { cpu: 256, memory: 512 } }),
      delete c.service,
      (c.schedules = { nightly: { service: 'worker', cron: '0 2 * * *' } })
    ),
    says: /schedules\.nightly\.cron: .*EventBridge cron has 6/,
  },
  { name: 'port 0', edit: (c) => (c.service.port = 0), says: /service\.port:/ },
  { name: 'port 70000', edit: (c) => (c.service.port = 70000), says: /service\.port:/ },
  { name: 'a Fargate size that does not exist', edit: (c) => Object.assign(c.service, { cpu: 256, memory: 4096 }), says: /service\.memory:/ },
  { name: 'a negative desiredCount', edit: (c) => (c.service.desiredCount = -1), says: /service\.desiredCount:/ },
  { name: 'a health path without a slash', edit: (c) => (c.service.healthCheckPath = 'health'), says: /service\.healthCheckPath: must start with \// },
  { name: 'a log retention CloudWatch does not offer', edit: (c) => (c.service.logRetentionDays = 2), says: /service\.logRetentionDays/ },
  { name: 'a bucket name with capitals', edit: (c) => (c.buckets.names = ['Uploads']), says: /buckets\.names\[0\]: bucket name/ },
  { name: 'a bucket listed twice', edit: (c) => (c.buckets.names = ['same', 'same']), says: /is listed twice/ },
  { name: 'Postgres 14.1 with pgvector', edit: (c) => (c.database = { ...db, engineVersion: '14.1' }), says: /database\.engineVersion:/ },
  {
    name: 'an RDS class that is not one',
    edit: (c) => (c.database = { ...db, instanceClass: 'large' }),
    says: /database\.instanceClass: expected an RDS instance class/,
  },
  {
    name: 'storage under gp3 minimum',
    edit: (c) => (c.database = { ...db, allocatedStorageGb: 10 }),
    says: /database\.allocatedStorageGb: gp3 storage starts at 20 GB/,
  },
  { name: 'a database name starting with a digit', edit: (c) => (c.database = { ...db, name: '1db' }), says: /database\.name:/ },
  { name: 'a database driver that is not one', edit: (c) => (c.database = { ...db, driver: 'prisma' }), says: /database\.driver:/ },
  { name: 'a cache node type that is not one', edit: (c) => (c.cache = { nodeType: 't4g.micro' }), says: /cache\.nodeType: expected a node type/ },
  { name: 'seven cache nodes', edit: (c) => (c.cache = { numNodes: 7 }), says: /cache\.numNodes:/ },
  {
    name: 'a lowercase secret key',
    edit: (c) => (c.secrets = { api_key: { prompt: 'x' } }),
    says: /secrets\.api_key: .*UPPER_SNAKE_CASE|secrets: .*UPPER_SNAKE_CASE/,
  },
  {
    name: 'a generated secret too short',
    edit: (c) => (c.secrets = { KEY: { generate: 'hex-8' } }),
    says: /secrets\.KEY: .*expected hex-N, base64-N or alnum-N|hex-N/,
  },
  {
    name: 'a secret in plain environment',
    edit: (c) => ((c.database = db), (c.service.environment.DATABASE_URL = 'x')),
    says: /service\.environment\.DATABASE_URL: DATABASE_URL is a secret/,
  },
  { name: 'a required asked secret not given', edit: (c) => (c.secrets = { STRIPE_KEY: { prompt: 'Stripe key' } }), says: /STRIPE_KEY/ },
  {
    name: 'a build arg whose variable is unset',
    env: { SAMPLE_APP_VERSION: undefined },
    says: /image\.buildArgs\.APP_VERSION: the environment variable SAMPLE_APP_VERSION is not set/,
  },
  {
    name: 'a build arg that reads a secret',
    edit: (c) => ((c.secrets = { TOKEN: { generate: 'hex-32' } }), (c.image.buildArgs.T = { env: 'TOKEN' })),
    env: { TOKEN: 'x' },
    says: /image\.buildArgs\.T: reads TOKEN, which is an app secret/,
  },
  {
    name: 'a Dockerfile that does not exist',
    edit: (c) => (c.image.dockerfile = 'Dockerfile.prod'),
    says: /image\.dockerfile: .*Dockerfile\.prod does not exist/,
  },
  { name: 'a context that does not exist', edit: (c) => (c.image.context = 'backend'), says: /image\.context: .*backend does not exist/ },
  {
    name: 'a Dockerfile outside the context',
    edit: (c, dir) => (mkdirSync(join(dir, 'sub')), (c.image.context = 'sub')),
    says: /image\.dockerfile: Dockerfile is outside image\.context/,
  },
  { name: 'an idle timeout of one second', edit: (c) => (c.image.idleTimeoutSeconds = 1), says: /image\.idleTimeoutSeconds:/ },
  { name: 'one subnet', edit: (c) => (c.network = { subnetIds: ['subnet-0a1b2c3d'] }), says: /network\.subnetIds:/ },
  {
    name: 'a certificate ARN that is not one',
    edit: (c) => (c.loadBalancer = { certificateArn: 'my-cert' }),
    says: /loadBalancer\.certificateArn: expected an ACM certificate ARN/,
  },
  {
    name: 'a validation URL that is not one',
    edit: (c) => (c.validation.url = 'app.example.com/health'),
    says: /validation\.url: expected an absolute http\(s\) URL/,
  },
  { name: 'an empty migrations command', edit: (c) => (c.migrations = { command: [] }), says: /migrations\.command:/ },
  {
    name: 'a typo inside an environment overlay',
    edit: (c) => (c.environments = { staging: { service: { desiredCont: 1 } } }),
    says: /environments\.staging\.service\.desiredCont: unknown key; did you mean "desiredCount"/,
  },
  {
    name: '--env close to an overlay name',
    edit: (c) => (c.environments = { staging: {} }),
    args: ['--env', 'stagin'],
    says: /--env stagin: there is no environments\.stagin; did you mean "staging"/,
  },
  { name: '--config that does not exist', args: ['--config', 'nope.json'], says: /read config: nope\.json does not exist/ },
  {
    name: 'an alarm address that is not one',
    edit: (c) => (c.alarms = { email: ['ops at example.com'] }),
    says: /alarms\.email\[0\]: expected an e-mail address/,
  },
  { name: 'a budget of zero', edit: (c) => (c.budget = { monthlyUsd: 0, email: ['o@example.com'] }), says: /budget\.monthlyUsd/ },
  {
    name: 'an unknown alarm threshold',
    edit: (c) => (c.alarms = { email: ['o@example.com'], thresholds: { cpu: 50 } }),
    says: /alarms\.thresholds\.cpu: unknown key/,
  },
  { name: 'an S3 state without a bucket', edit: (c) => (c.state = { backend: 's3' }), says: /state\.bucket: required when backend is "s3"/ },
  {
    name: 'a state bucket name S3 refuses',
    edit: (c) => (c.state = { backend: 's3', bucket: 'Acme_State' }),
    says: /state\.bucket: "Acme_State" may hold only/,
  },
  {
    name: 'a state prefix with a leading slash',
    edit: (c) => (c.state = { backend: 's3', bucket: 'acme-state', prefix: '/ledger' }),
    says: /state\.prefix: use letters/,
  },
  { name: '--state-backend that is not one', args: ['--state-backend', 'ftp'], says: /--state-backend ftp: use local or s3/ },
  { name: '--state-backend s3 with no bucket anywhere', args: ['plan', '--state-backend', 's3'], says: /--state-backend s3: neither DEPLOY_WIZARD_STATE/ },
  {
    name: 'DEPLOY_WIZARD_STATE that is not an S3 URL',
    env: { DEPLOY_WIZARD_STATE: 'acme-state/ledger' },
    says: /DEPLOY_WIZARD_STATE=acme-state\/ledger: expected s3:\/\/bucket\/prefix/,
  },
  { name: 'a state init flag on deploy', args: ['deploy', '--bucket', 'x'], says: /--bucket: a flag of state init, not of deploy/ },
  { name: 'state init with a bucket name S3 refuses', args: ['state', 'init', '--bucket', 'Bad_Bucket'], says: /--bucket Bad_Bucket: may hold only/ },
  { name: 'state with no subcommand', args: ['state'], says: /state: missing the subcommand/ },
  { name: 'state push with the state on this disk', args: ['state', 'push'], says: /state push: the state of prod is kept on this disk/ },
  { name: 'ci for a CI it does not know', args: ['ci', 'gitlab'], says: /ci: unknown target "gitlab"/ },
  { name: 'ci github with a repo that is not OWNER/NAME', args: ['ci', 'github', '--repo', 'shop'], says: /--repo shop: expected OWNER\/NAME/ },
  { name: 'a ci flag on deploy', args: ['deploy', '--repo', 'acme/shop'], says: /--repo: a flag of ci github, not of deploy/ },
  {
    name: 'ci github while the state is on this disk',
    args: ['ci', 'github', '--repo', 'acme/shop', '--non-interactive'],
    says: /state: deploy-wizard\.json keeps the state on this disk/,
  },
  { name: 'a destroy flag on deploy', args: ['deploy', '--delete-data'], says: /--delete-data: a flag of destroy, not of deploy/ },
  {
    name: '--skip-final-snapshot without --delete-data',
    args: ['destroy', '--skip-final-snapshot', '--yes'],
    says: /--skip-final-snapshot: only with --delete-data/,
  },
  {
    name: 'destroy without a terminal and without --yes',
    args: ['destroy', '--non-interactive', '--env', 'staging'],
    says: /--yes: needed to destroy without a terminal/,
  },
  { name: 'rollback to a revision that is not a number', args: ['rollback', '--to', 'previous'], says: /--to previous: a task definition revision number/ },
  {
    name: '--config at a directory without a config',
    edit: (_c, dir) => mkdirSync(join(dir, 'empty')),
    args: ['--config', 'empty'],
    says: /empty\/deploy-wizard\.json does not exist/,
  },
  {
    name: 'a config that is not JSON',
    edit: (_c, dir) => writeFileSync(join(dir, 'broken.json'), '{ "app": '),
    args: ['--config', 'broken.json'],
    says: /broken\.json is not valid JSON/,
  },
  {
    name: 'a state file holding null',
    edit: (_c, dir) => (mkdirSync(join(dir, '.deploy-wizard')), writeFileSync(join(dir, '.deploy-wizard', 'prod.state.json'), 'null')),
    code: 3,
    says: /prod\.state\.json is damaged: it holds null/,
  },
  {
    name: 'a state file of another app',
    edit: (_c, dir) => (
      mkdirSync(join(dir, '.deploy-wizard')),
      writeFileSync(join(dir, '.deploy-wizard', 'prod.state.json'), JSON.stringify({ version: 1, app: 'other', env: 'prod', steps: {} }))
    ),
    code: 3,
    says: /belongs to app "other"/,
  },
  {
    name: 'a state file from a newer wizard',
    edit: (c, dir) => (
      mkdirSync(join(dir, '.deploy-wizard')),
      writeFileSync(join(dir, '.deploy-wizard', 'prod.state.json'), JSON.stringify({ version: 99, app: c.app, env: 'prod', steps: {} }))
    ),
    code: 3,
    says: /format version 99, newer than this wizard understands/,
  },
  // Domain, site and firewall: cross-key rules and the site directory, before any call.
  {
    name: 'a domain outside its zone',
    edit: (c) => (c.domain = { name: 'app.example.org', zone: 'example.com' }),
    says: /domain\.name: app\.example\.org is not in the zone example\.com/,
  },
  {
    name: 'a domain alias in another zone',
    edit: (c) => (c.domain = { name: 'app.example.com', zone: 'example.com', aliases: ['www.example.net'] }),
    says: /domain\.aliases\[0\]: www\.example\.net is not in the zone example\.com/,
  },
  {
    name: 'a site directory that does not exist',
    edit: (c) => (apiOnly(c), (c.site = { dir: 'web/dist' })),
    says: /site\.dir: web\/dist does not exist/,
  },
  {
    name: 'a site directory that is empty',
    edit: (c, dir) => (apiOnly(c), mkdirSync(join(dir, 'dist', 'assets'), { recursive: true }), (c.site = { dir: 'dist' })),
    says: /site\.dir: dist is empty/,
  },
  {
    name: 'a site directory outside the app',
    edit: (c) => (apiOnly(c), (c.site = { dir: '../elsewhere' })),
    says: /site\.dir: \.\.\/elsewhere is outside the app/,
  },
  {
    name: "a site directory that is the app's own directory",
    edit: (c) => (apiOnly(c), (c.site = { dir: '.' })),
    says: /site\.dir: \. is the app's own directory/,
  },
  {
    name: 'a site directory that is a symlink leading outside the app',
    edit: (c, dir) => (apiOnly(c), symlinkSync('/etc', join(dir, 'dist')), (c.site = { dir: 'dist' })),
    says: /site\.dir: dist leads outside the app \(to \/etc\)/,
  },
  {
    name: 'a site with a load balancer certificate and no domain (CloudFront would loop on the redirect)',
    edit: (c) => (apiOnly(c), (c.site = { dir: 'www' }), (c.loadBalancer = { certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' })),
    says: /loadBalancer\.certificateArn: behind the CDN, CloudFront reaches the load balancer over HTTP/,
  },
  {
    name: 'a site beside a web service that also claims /*',
    edit: (c) => (c.site = { dir: 'www' }),
    says: /service: the site serves "\/\*" on the CDN; give web the paths it answers/,
  },
  {
    name: 'a web firewall with neither a load balancer nor a site',
    edit: (c) => ((c.services = { worker: { cpu: 256, memory: 512 } }), delete c.service, delete c.validation, (c.edge = { waf: {} })),
    says: /edge\.waf: a web ACL needs something to protect/,
  },
  {
    name: 'a WAF rate limit below what AWS takes',
    edit: (c) => (c.edge = { waf: { rateLimitPerIp: 5 } }),
    says: /edge\.waf\.rateLimitPerIp: AWS WAF takes a rate limit of at least 10/,
  },
];

/** Every file under dir with its bytes, to prove a failed run wrote nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out[p] = readFileSync(join(dir, p), 'utf8');
    }
  };
  walk('');
  return out;
}

describe('bad input: exit 2 (3 for state) naming the key, zero AWS calls, nothing written', () => {
  it('has at least 30 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(30));

  it.each(CASES)('$name', async (c) => {
    const { dir } = makeApp();
    const path = join(dir, 'deploy-wizard.json');
    const cfg = JSON.parse(readFileSync(path, 'utf8'));
    c.edit?.(cfg, dir);
    writeFileSync(path, JSON.stringify(cfg, null, 2));
    const before = snapshot(dir);
    const seen = requests.length;
    const r = await runCli(c.args?.[0] && !c.args[0].startsWith('-') ? [...c.args, '--non-interactive'] : ['deploy', '--non-interactive', ...(c.args ?? [])], {
      cwd: dir,
      env: { AWS_ENDPOINT_URL: endpoint, ...c.env },
    });
    expect(r.code, r.stderr).toBe(c.code ?? 2);
    expect(r.stderr).toMatch(c.says);
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // a sentence, never a stack trace
    expect(requests.length - seen, 'AWS calls').toBe(0);
    expect(snapshot(dir)).toEqual(before);
    expect(existsSync(join(dir, '.deploy-wizard', 'prod.lock'))).toBe(false);
  });
});
