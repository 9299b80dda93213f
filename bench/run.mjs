// npm run bench: the costs a deploy pays on every run, even when nothing
// changed, printed as figures and ratios (never asserted in a test).
//  - hashing the build context for the content tag (every run; the digest cache makes re-runs cheap)
//  - validating the config with every overlay
//  - saving state atomically (fsync + rename), once per step transition
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { listContext, hashContext } from '../dist/src/docker/build-context.js';
import { parseConfig } from '../dist/src/config/load-config.js';
import { StateStore } from '../dist/src/state/state-store.js';
import { emptyState } from '../dist/src/state/state-file.js';

const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;
const now = () => process.hrtime.bigint();
const row = (name, value, unit, note = '') => console.log(`${name.padEnd(44)} ${value.toFixed(1).padStart(10)} ${unit.padEnd(8)} ${note}`);

// 1. Build context: 2,000 files, 64 MB, with a node_modules that .dockerignore drops.
const ctx = mkdtempSync(join(tmpdir(), 'dw-bench-ctx-'));
writeFileSync(join(ctx, '.dockerignore'), 'node_modules\n*.log\n');
let bytes = 0;
let written = 1; // .dockerignore
for (let d = 0; d < 40; d++) {
  mkdirSync(join(ctx, 'src', `d${d}`), { recursive: true });
  mkdirSync(join(ctx, 'node_modules', `p${d}`), { recursive: true });
  for (let f = 0; f < 50; f++) {
    const buf = randomBytes(f % 10 === 0 ? 256 * 1024 : 8 * 1024);
    bytes += buf.length;
    writeFileSync(join(ctx, 'src', `d${d}`, `f${f}.js`), buf);
    writeFileSync(join(ctx, 'node_modules', `p${d}`, `f${f}.js`), buf);
    written += 2;
  }
}
let t = now();
const files = await listContext(ctx);
const listMs = ms(t);
t = now();
await hashContext(ctx, files);
const hashMs = ms(t);
row('build context: list (.dockerignore applied)', listMs, 'ms', `${files.length} files kept of ${written}`);
row('build context: hash', hashMs, 'ms', `${(bytes / 1e6).toFixed(0)} MB`);
row('build context: hash throughput', bytes / 1e6 / (hashMs / 1000), 'MB/s');
// The digest cache: a no-change re-run reads no file whose metadata is unchanged. Files must be older than
// the cache's two-second racy window to be trusted, as they are in a real repository.
await new Promise((r) => setTimeout(r, 2_100));
const cache = new Map();
await hashContext(ctx, files, cache);
t = now();
await hashContext(ctx, files, cache);
const warmMs = ms(t);
row('build context: hash again, digest cache warm', warmMs, 'ms', `${(hashMs / warmMs).toFixed(1)}× faster than reading every file`);

// 2. Config: the largest example with all its overlays, validated N times.
const example = readFileSync(new URL('../fixtures/examples/agencio-predict.json', import.meta.url), 'utf8');
const N = 500;
t = now();
for (let i = 0; i < N; i++) parseConfig(example, 'bench', 'staging');
const cfgMs = ms(t) / N;
row('config: load + validate (agencio-predict)', cfgMs * 1000, 'µs', `per load, ${N} loads`);

// 3. State: atomic saves of a realistic state (13 steps with outputs).
const root = mkdtempSync(join(tmpdir(), 'dw-bench-state-'));
const store = new StateStore(root, 'prod');
const state = emptyState('bench', 'prod', new Date());
for (let i = 0; i < 13; i++)
  state.steps[`step-${i}`] = {
    status: 'done',
    inputHash: 'x'.repeat(64),
    outputs: { arn: `arn:aws:x:us-east-1:123456789012:thing/${i}`, ids: Array.from({ length: 6 }, (_, j) => `id-${j}`) },
  };
const S = 200;
t = now();
for (let i = 0; i < S; i++) await store.save(state, new Date());
const saveMs = ms(t) / S;
row('state: atomic save (temp, fsync, .bak, rename)', saveMs, 'ms', `per save, ${S} saves`);

// Ratios: what a no-change run of the sample app pays locally, against one AWS round trip (~50 ms).
const transitions = 13 * 2;
row('ratio: state saves per run / one AWS call', (transitions * saveMs) / 50, 'x', `${transitions} saves`);
row('ratio: context hash, first run / one AWS call', hashMs / 50, 'x', 'every file read');
row('ratio: context hash, re-run / one AWS call', warmMs / 50, 'x', 'digest cache warm: what a no-change run pays');
