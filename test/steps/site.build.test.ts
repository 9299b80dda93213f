import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { site } from '../../steps/site/apply.js';
import { stepContext } from '../helpers/step-context.js';
import { StepError } from '../../src/errors.js';

describe('site.build', () => {
  it('a build that goes quiet past site.buildIdleTimeoutSeconds is stopped, with its children, and the step fails saying so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-sitebuild-'));
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist', 'index.html'), 'x');
    const marker = join(dir, 'child-survived');
    const { ctx } = stepContext({
      service: undefined,
      services: { api: { port: 8080, routes: ['/api/*'] } },
      // A build that prints once, then waits forever (as a watch mode or a prompt does); its child would write a file later.
      site: { dir: 'dist', build: ['sh', '-c', `echo building; (sleep 4; touch ${marker}) & sleep 60`], buildIdleTimeoutSeconds: 1 },
    });
    ctx.configDir = dir;
    const started = Date.now();
    const err = await site.apply(ctx).catch((e) => e);
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toContain('printed nothing for 1s, so it was stopped rather than left hanging');
    expect(err.hint).toContain('site.buildIdleTimeoutSeconds');
    expect(Date.now() - started).toBeLessThan(10_000);
    await new Promise((r) => setTimeout(r, 4_500));
    expect(existsSync(marker)).toBe(false);
  });
});
