import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../../../src/cli/command.js';

const DIR = join(import.meta.dirname, '../../../src/cli');
const files = readdirSync(DIR).filter((f) => f.endsWith('.ts') && f !== 'command.ts');
const commands: Command[] = await Promise.all(
  files.map(async (f) => Object.values((await import(join(DIR, f))) as Record<string, unknown>).find((x): x is Command => !!(x as Command)?.run)!),
);

describe('a command is a file that declares its own flags, help and run', () => {
  it('src/cli.ts holds no flag and no help page of any command: only the overview it assembles from the command files', () => {
    const cli = readFileSync(join(DIR, '../cli.ts'), 'utf8');
    expect(cli).not.toMatch(/type: '(string|boolean)'/);
    expect(cli.match(/Usage: deploy-wizard/g)).toHaveLength(1);
    for (const c of commands) for (const flag of Object.keys(c.flags ?? {})) expect(cli, flag).not.toContain(`'${flag}'`);
  });

  it('each file says one command: its page starts with its usage, and its overview lines name it', () => {
    expect(commands.map((c) => c.name).sort()).toEqual(files.map((f) => f.replace(/\.ts$/, '')).sort());
    for (const c of commands) {
      expect(c.help, c.name).toMatch(new RegExp(`^Usage: deploy-wizard (\\[)?${c.name}`));
      for (const line of c.overview.split('\n')) expect(line, c.name).toMatch(new RegExp(`^  ${c.name}\\b`));
    }
  });

  it('checks its own flags: ci refuses a half pair of GitHub ids, naming both flags', () => {
    const ci = commands.find((c) => c.name === 'ci')!;
    expect(ci.check!({ 'owner-id': '7' }, ['github'])).toEqual(['--repo-id: needed with --owner-id']);
    expect(ci.check!({ 'owner-id': '7', 'repo-id': '8' }, ['github'])).toEqual([]);
    expect(ci.options!({ 'owner-id': '7', 'repo-id': '8', repo: 'a/b' }, ['github']).ci).toEqual({ repo: 'a/b', ownerId: 7, repoId: 8 });
  });
});
