import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLI, standinEnv } from './cli.js';

const PTY = join(import.meta.dirname, 'pty-relay.py');
export const KEY = { enter: '\r', down: '\x1b[B', space: ' ', ctrlC: '\x03' };
const strip = (s: string) => s.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '');

/** Drives the CLI through a real terminal: wait for text on the screen, then type. */
export function terminal(args: string[], cwd: string, env: Record<string, string | undefined> = {}) {
  const child = spawn('python3', [PTY, process.execPath, CLI, ...args], { cwd, env: { ...standinEnv(env), TERM: 'xterm-256color' } });
  let screen = '';
  child.stdout.on('data', (d) => (screen += d));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  return {
    screen: () => strip(screen),
    async waitFor(text: string | RegExp, timeoutMs = 15000) {
      const start = Date.now();
      let from = 0;
      while (Date.now() - start < timeoutMs) {
        const s = strip(screen);
        if (typeof text === 'string' ? s.includes(text, from) : text.test(s)) return;
        await new Promise((r) => setTimeout(r, 50));
        from = 0;
      }
      throw new Error(`timed out waiting for ${text}; screen:\n${strip(screen).slice(-2000)}`);
    },
    type: (keys: string) => child.stdin.write(keys),
    exited,
  };
}
