import { describe, expect, it } from 'vitest';
import { makeApp, runCli, standinLogs } from '../helpers/cli.js';

describe('two deploys started together on one env', () => {
  it('one runs, the other exits 3 naming the holder: 20 times out of 20', async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 20; round++) {
      // A first deploy each round: the winner holds the lock for the seconds a real deploy takes.
      const { dir } = makeApp();
      const [a, b] = await Promise.all([runCli(['deploy', '--non-interactive'], { cwd: dir }), runCli(['deploy', '--non-interactive'], { cwd: dir })]);
      const codes = [a.code, b.code].sort();
      outcomes.push(codes.join('/'));
      if (codes.join() !== '0,3') throw new Error(`round ${round}: ${codes}\n${a.stderr}\n---\n${b.stderr}\n${standinLogs()}`);
      const loser = a.code === 3 ? a : b;
      expect(loser.stderr).toMatch(/lock state: .*prod\.lock is held by pid \d+ on \S+ running "deploy-wizard deploy --non-interactive"/);
      expect(loser.stderr).toMatch(/deploy-wizard unlock [0-9a-f]{8}/);
    }
    expect(outcomes).toEqual(Array(20).fill('0/3'));
  }, 300_000);
});
