import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * A random id for this machine (this user's config directory), kept across
 * runs: what tells a lock holder "on this machine" apart from one on another
 * machine with the same host name (two laptops called MacBook-Pro.local, CI
 * containers with a fixed host name), so only a holder on this very machine
 * whose process is gone is taken over before its lease runs out.
 * DEPLOY_WIZARD_CONFIG_DIR, else XDG_CONFIG_HOME, else ~/.config.
 */
export function machineId(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.DEPLOY_WIZARD_CONFIG_DIR ?? join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'deploy-wizard');
  const file = join(dir, 'machine-id');
  try {
    const id = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{32}$/.test(id)) return id;
  } catch {
    /* not made yet */
  }
  const id = randomBytes(16).toString('hex');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // wx: of two runs making it at once, one writes; the other reads the winner's.
    writeFileSync(file, id + '\n', { flag: 'wx', mode: 0o600 });
    return id;
  } catch {
    try {
      const again = readFileSync(file, 'utf8').trim();
      if (/^[0-9a-f]{32}$/.test(again)) return again;
    } catch {
      /* an unwritable home: no id, so no early takeover (leases still work) */
    }
    return undefined;
  }
}
