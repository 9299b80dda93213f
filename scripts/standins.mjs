// Starts and stops the local stand-ins for AWS (moto_server), Docker (podman's
// Docker API) and ECR's registry (distribution), as the shared LOCAL_AWS.md
// describes. Used by the test suite's global setup and by the demo script, so
// both exercise exactly the same environment.
//
// Every server binds 127.0.0.1 on a free port and is stopped by the pid we got
// when starting it. Podman reads its configuration from files in our own temp
// dir (CONTAINERS_CONF / CONTAINERS_REGISTRIES_CONF), so nothing under /etc is
// touched and the registry's random port can be marked insecure per run.
import { spawn, execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync, openSync, readFileSync, existsSync, rmSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'node:http';

const run = promisify(execFile);
// The SDK's Node 22 notice is for us (package.json pins it), not for every test run's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const BASE_IMAGE = 'localhost/deploy-wizard-base:1';
// moto's ECR GetAuthorizationToken always answers "AWS:<account>-auth-token".
export const MOTO_ACCOUNT = '123456789012';
export const REGISTRY_PASSWORD = `${MOTO_ACCOUNT}-auth-token`;

const INSTALL_HINT = {
  moto_server: "python3 -m pip install 'moto[server]'",
  podman: 'apt-get install -y podman runc',
  'docker-registry': 'apt-get install -y docker-registry',
  htpasswd: 'apt-get install -y apache2-utils',
  busybox: 'apt-get install -y busybox-static',
};

async function need(bin) {
  try {
    await run('sh', ['-c', `command -v ${bin}`]);
  } catch {
    throw new Error(`stand-in missing: ${bin} is not installed. Install it with: ${INSTALL_HINT[bin]}`);
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function httpGet(url, opts = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: 2000, ...opts }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

// Bounded in count and time: 150 tries, ~30 s at most.
async function waitFor(what, probe, logFile) {
  let lastErr;
  for (let i = 0; i < 150; i++) {
    try {
      if (await probe()) return;
    } catch (e) {
      lastErr = e;
    }
    await sleep(200);
  }
  const log = logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-3000) : '';
  throw new Error(`stand-in ${what} did not start: ${lastErr?.message ?? 'no answer'}\n${log}`);
}

function startProcess(cmd, args, { env, logFile }) {
  const out = openSync(logFile, 'a');
  const child = spawn(cmd, args, { env, stdio: ['ignore', out, out], detached: true });
  child.unref();
  return child;
}

function stopPid(pid) {
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
}

/**
 * Starts every stand-in. Returns { env, dir, stop() }: env holds the variables
 * a deploy-wizard process needs to talk to them.
 */
export async function startStandins({ dir = mkdtempSync(join(tmpdir(), 'dw-standins-')) } = {}) {
  for (const bin of ['moto_server', 'podman', 'docker-registry', 'htpasswd', 'busybox']) await need(bin);
  mkdirSync(dir, { recursive: true });
  const pids = [];
  const containers = [];
  const stop = async () => {
    for (const name of containers)
      await run('podman', ['rm', '-f', '-t', '1', name], { env: { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf') } }).catch(() => undefined);
    for (const pid of pids.reverse()) stopPid(pid);
    await sleep(300);
  };
  try {
    // --- moto ---
    const motoPort = await freePort();
    const motoLog = join(dir, 'moto.log');
    const moto = startProcess('moto_server', ['-H', '127.0.0.1', '-p', String(motoPort)], {
      logFile: motoLog,
      env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true', MOTO_ECS_SERVICE_RUNNING: '2', MOTO_ACM_VALIDATION_WAIT: '1' },
    });
    pids.push(moto.pid);

    // --- registry with htpasswd auth, like ECR's ---
    const regPort = await freePort();
    const regDir = join(dir, 'registry');
    mkdirSync(regDir, { recursive: true });
    await run('htpasswd', ['-Bbc', join(regDir, 'htpasswd'), 'AWS', REGISTRY_PASSWORD]);
    writeFileSync(
      join(regDir, 'config.yml'),
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${join(regDir, 'data')}`,
        '  delete:',
        '    enabled: true',
        'http:',
        `  addr: 127.0.0.1:${regPort}`,
        'auth:',
        '  htpasswd:',
        '    realm: deploy-wizard',
        `    path: ${join(regDir, 'htpasswd')}`,
        '',
      ].join('\n'),
    );
    const registryLog = join(dir, 'registry.log');
    const registry = startProcess('docker-registry', ['serve', join(regDir, 'config.yml')], { logFile: registryLog, env: process.env });
    pids.push(registry.pid);

    // --- podman's Docker API ---
    const containersConf = join(dir, 'containers.conf');
    writeFileSync(containersConf, '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n');
    const registriesConf = join(dir, 'registries.conf');
    writeFileSync(registriesConf, `unqualified-search-registries = []\n\n[[registry]]\nlocation = "127.0.0.1:${regPort}"\ninsecure = true\n`);
    const podmanEnv = { ...process.env, CONTAINERS_CONF: containersConf, CONTAINERS_REGISTRIES_CONF: registriesConf };
    const sock = join(dir, 'podman.sock');
    const podmanLog = join(dir, 'podman.log');
    const podman = startProcess('podman', ['system', 'service', '--time=0', `unix://${sock}`], { logFile: podmanLog, env: podmanEnv });
    pids.push(podman.pid);

    // --- Postgres with pgvector (PGlite) ---
    const pgPort = await freePort();
    const pgLog = join(dir, 'pglite.log');
    const pglite = startProcess(process.execPath, [new URL('./pglite-server.mjs', import.meta.url).pathname, String(pgPort)], {
      logFile: pgLog,
      env: process.env,
    });
    pids.push(pglite.pid);

    await waitFor('pglite', async () => readFileSync(pgLog, 'utf8').includes('ready'), pgLog);
    await waitFor('moto_server', async () => (await httpGet(`http://127.0.0.1:${motoPort}/moto-api/`)) < 500, motoLog);
    await waitFor('registry', async () => (await httpGet(`http://127.0.0.1:${regPort}/v2/`)) === 401, registryLog);
    await waitFor('podman', async () => (await httpGet('http://d/_ping', { socketPath: sock })) === 200, podmanLog);

    await ensureBaseImage(dir, podmanEnv);
    for (const region of ['us-east-1', 'us-east-2', 'eu-west-1']) await giveDefaultVpcAnInternetGateway(`http://127.0.0.1:${motoPort}`, region);

    // --- the app as ECS would run it: moto starts no containers, so first-boot probes this one ---
    const appPort = await freePort();
    const appName = `dw-sample-app-${appPort}`;
    await run('podman', ['build', '-q', '-t', 'localhost/dw-sample-app:standin', new URL('../fixtures/sample-app', import.meta.url).pathname], {
      env: podmanEnv,
    });
    // On the host's network, listening on appPort itself, not published with -p: podman's CNI
    // port mapping is a DNAT rule that does not hold the port, so a test server that later got
    // the same port from listen(0) had every connection sent to this container instead
    // (ECONNREFUSED or "server closed the connection" from a test's own proxy or Postgres).
    await run(
      'podman',
      [
        'run',
        '-d',
        '--rm',
        '--network',
        'host',
        '--name',
        appName,
        'localhost/dw-sample-app:standin',
        '/bin/busybox',
        'httpd',
        '-f',
        '-v',
        '-p',
        `127.0.0.1:${appPort}`,
        '-h',
        '/www',
      ],
      { env: podmanEnv },
    );
    containers.push(appName);
    await waitFor('sample app', async () => (await httpGet(`http://127.0.0.1:${appPort}/health`)) === 200, podmanLog);

    const env = {
      AWS_ENDPOINT_URL: `http://127.0.0.1:${motoPort}`,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      DOCKER_HOST: `unix://${sock}`,
      DEPLOY_WIZARD_REGISTRY: `127.0.0.1:${regPort}`,
      // The database is reached directly (as through a tunnel): PGlite stands in for RDS.
      DEPLOY_WIZARD_DB_URL: `postgresql://postgres:postgres@127.0.0.1:${pgPort}/postgres`,
      // first-boot probes the sample app's container instead of the (emulated) load balancer.
      DEPLOY_WIZARD_HEALTH_URL: `http://127.0.0.1:${appPort}`,
      CONTAINERS_CONF: containersConf,
      CONTAINERS_REGISTRIES_CONF: registriesConf,
    };
    const logs = { moto: motoLog, registry: registryLog, podman: podmanLog, pglite: pgLog };
    writeFileSync(join(dir, 'env.json'), JSON.stringify({ env, pids, containers, logs }, null, 2));
    return { env, dir, pids, logs, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * A second podman engine with storage of its own and nothing in it: a CI runner's empty engine. `env` is the
 * stand-ins' (its registry is trusted the same way). It holds no base image: a Dockerfile for it starts FROM the
 * one `pushBaseImage` puts in the stand-in registry, as a runner pulls a public base image from its registry.
 */
export async function startEmptyEngine(env, dir = mkdtempSync(join(tmpdir(), 'dw-engine-'))) {
  const storage = join(dir, 'storage.conf');
  writeFileSync(storage, `[storage]\ndriver = "overlay"\ngraphroot = "${join(dir, 'storage')}"\nrunroot = "${join(dir, 'run')}"\n`);
  const sock = join(dir, 'podman.sock');
  const log = join(dir, 'podman.log');
  const podmanEnv = {
    ...process.env,
    CONTAINERS_CONF: env.CONTAINERS_CONF,
    CONTAINERS_REGISTRIES_CONF: env.CONTAINERS_REGISTRIES_CONF,
    CONTAINERS_STORAGE_CONF: storage,
  };
  const p = startProcess('podman', ['system', 'service', '--time=0', `unix://${sock}`], { logFile: log, env: podmanEnv });
  await waitFor('podman (empty engine)', async () => (await httpGet('http://d/_ping', { socketPath: sock })) === 200, log);
  return {
    dockerHost: `unix://${sock}`,
    async stop() {
      stopPid(p.pid);
      await new Promise((r) => setTimeout(r, 300));
      // Overlay mounts of its layers outlive the service.
      await run('sh', ['-c', `grep -o ' ${dir}/[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null; true`]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The base image in the stand-in registry, as `<registry>/deploy-wizard-base:1`: what an empty engine can pull. */
export async function pushBaseImage(env) {
  const ref = `${env.DEPLOY_WIZARD_REGISTRY}/deploy-wizard-base:1`;
  const podmanEnv = { ...process.env, CONTAINERS_CONF: env.CONTAINERS_CONF, CONTAINERS_REGISTRIES_CONF: env.CONTAINERS_REGISTRIES_CONF };
  await run('podman', ['tag', BASE_IMAGE, ref], { env: podmanEnv });
  await run('podman', ['push', '--tls-verify=false', '--creds', `AWS:${REGISTRY_PASSWORD}`, ref], { env: podmanEnv });
  return ref;
}

// No registry is reachable from these machines, so the sample app's base image
// is made here: a rootfs holding Debian's static busybox (sh, httpd, wget).
async function ensureBaseImage(dir, env) {
  try {
    await run('podman', ['image', 'exists', BASE_IMAGE], { env });
    return;
  } catch {
    /* not there yet */
  }
  const root = join(dir, 'rootfs');
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'tmp'), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
  await run('sh', ['-c', `cd ${root}/bin && chmod 755 busybox && for a in sh httpd wget cat echo ls; do ln -sf busybox $a; done`]);
  const tar = join(dir, 'rootfs.tar');
  await run('tar', ['-C', root, '-cf', tar, '.']);
  await run('podman', ['import', '--change', 'CMD ["/bin/sh"]', tar, BASE_IMAGE], { env });
  rmSync(root, { recursive: true, force: true });
}

/**
 * On AWS a default VPC has an internet gateway and a 0.0.0.0/0 route to it,
 * so its subnets are public; moto's has neither. Add them, so the network
 * step sees what it would see on AWS.
 */
export async function giveDefaultVpcAnInternetGateway(endpoint, region) {
  const ec2 = await import('@aws-sdk/client-ec2');
  const client = new ec2.EC2Client({ region, endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const vpc = (await client.send(new ec2.DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs?.[0]?.VpcId;
  if (!vpc) return;
  const main = (
    await client.send(
      new ec2.DescribeRouteTablesCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpc] },
          { Name: 'association.main', Values: ['true'] },
        ],
      }),
    )
  ).RouteTables?.[0];
  if (!main || main.Routes?.some((r) => r.DestinationCidrBlock === '0.0.0.0/0')) return;
  const igw = (await client.send(new ec2.CreateInternetGatewayCommand({}))).InternetGateway.InternetGatewayId;
  await client.send(new ec2.AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc }));
  await client.send(new ec2.CreateRouteCommand({ RouteTableId: main.RouteTableId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
  client.destroy();
}

/** Wipes moto's state between tests (default VPCs come back). */
export async function resetMoto(endpoint) {
  await new Promise((resolve, reject) => {
    const req = request(`${endpoint}/moto-api/reset`, { method: 'POST' }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}

// CLI: `node scripts/standins.mjs start DIR` prints the env as shell exports
// and leaves the servers running; `stop DIR` stops them by pid.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [cmd, dir] = process.argv.slice(2);
  if (cmd === 'start' && dir) {
    const s = await startStandins({ dir });
    for (const [k, v] of Object.entries(s.env)) console.log(`export ${k}='${v}'`);
  } else if (cmd === 'stop' && dir) {
    const { pids, containers = [] } = JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8'));
    for (const name of containers)
      await run('podman', ['rm', '-f', '-t', '1', name], { env: { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf') } }).catch(() => undefined);
    for (const pid of pids.reverse()) stopPid(pid);
  } else {
    console.error('usage: node scripts/standins.mjs start|stop DIR');
    process.exit(2);
  }
}
