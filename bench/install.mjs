// npm run bench, part 0: first contact. What a user waits for before the first
// question: installing the published package from an empty npm cache (as a
// first `npx deploy-wizard`, or a CI runner with no cache, does), beside
// aws-cdk (a bundled AWS tool) installed the same way in the same run, the
// size on disk, and the bundle's own startup. Figures and ratios, never asserted.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { medianMs } from './median-ms.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const row = (name, value, unit, goal, ok, note = '') =>
  console.log(`${name.padEnd(52)} ${value.toFixed(value < 10 ? 2 : 1).padStart(9)} ${unit.padEnd(4)} goal ${goal.padEnd(22)} ${ok ? 'met ' : 'MISS'} ${note}`);
const bytesOf = (dir) => Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);

/** Seconds to `npm install` what from an empty cache into an empty folder, and the bytes it left. */
function install(what) {
  const prefix = mkdtempSync(join(tmpdir(), 'dw-bench-install-'));
  const t = process.hrtime.bigint();
  execFileSync('npm', ['install', '--prefix', prefix, '--cache', join(prefix, '.npm-cache'), '--no-audit', '--no-fund', '--loglevel=error', what], {
    stdio: 'pipe',
  });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  const bytes = bytesOf(join(prefix, 'node_modules'));
  const packages = readdirSync(join(prefix, 'node_modules'), { recursive: true }).filter((p) => String(p).endsWith('package.json')).length;
  return { s, mb: bytes / 1e6, packages, prefix };
}

const out = mkdtempSync(join(tmpdir(), 'dw-bench-pack-'));
execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', out, '--silent'], { cwd: ROOT, stdio: 'pipe' });
const tgz = join(
  out,
  readdirSync(out).find((f) => f.endsWith('.tgz')),
);
const tarMb = bytesOf(tgz) / 1e6;
// Alternate the two, twice, and keep each one's faster run: the registry's and the disk's noise hits both alike.
const ours = [];
const cdk = [];
for (let i = 0; i < 2; i++) {
  ours.push(install(tgz));
  cdk.push(install('aws-cdk'));
}
const best = (runs) => runs.reduce((a, b) => (b.s < a.s ? b : a));
const o = best(ours);
const c = best(cdk);
row('first contact: install from an empty cache', o.s / c.s, '×', '≤ 2× aws-cdk', o.s / c.s <= 2, `${o.s.toFixed(1)} s vs aws-cdk ${c.s.toFixed(1)} s`);
row(
  'first contact: installed size',
  o.mb,
  'MB',
  '≤ 30 MB',
  o.mb <= 30,
  `${o.packages} package(s); tarball ${tarMb.toFixed(1)} MB; aws-cdk ${c.mb.toFixed(0)} MB`,
);

// The installed bundle's startup, against an empty node.
const cli = join(o.prefix, 'node_modules/deploy-wizard/bundle/cli.js');
const empty = medianMs(['-e', '0']);
for (const flag of ['--help', '--version']) {
  const t = medianMs([cli, flag]);
  row(`startup (bundle): deploy-wizard ${flag}`, t / empty, '×', '≤ 1.5× node -e 0', t / empty <= 1.5, `${t.toFixed(0)} ms vs ${empty.toFixed(0)} ms`);
}
const cdkCli = join(c.prefix, 'node_modules/aws-cdk/bin/cdk');
const cdkT = medianMs([cdkCli, '--version'], 3);
console.log(`${'  (aws-cdk --version, for comparison)'.padEnd(52)} ${(cdkT / empty).toFixed(2).padStart(9)} ×    ${cdkT.toFixed(0)} ms`);
for (const r of [...ours, ...cdk]) rmSync(r.prefix, { recursive: true, force: true });
rmSync(out, { recursive: true, force: true });
