import { describe, expect, it } from 'vitest';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeApp, runCli } from '../helpers/cli.js';
import { expectOk } from '../helpers/expect-ok.js';

describe('plan', () => {
  it('shows each changed field of an update (count, size, a variable, the image), and nothing to change after a deploy', async () => {
    const { dir, app } = makeApp();
    expectOk(await runCli(['deploy', '--non-interactive'], { cwd: dir }));
    const same = await runCli(['plan', '--json'], { cwd: dir });
    expectOk(same);
    const items = JSON.parse(same.stdout).plans.flatMap((p: any) => p.items);
    expect(items.filter((i: any) => i.resource === `ECS service ${app}` || i.resource === `task definition ${app}-prod-web`).map((i: any) => i.action)).toEqual(
      ['keep', 'keep'],
    );

    const path = join(dir, 'deploy-wizard.json');
    const config = JSON.parse(readFileSync(path, 'utf8'));
    config.service.memory = 1024;
    config.service.desiredCount = 2;
    config.service.environment.LOG_FORMAT = 'text';
    writeFileSync(path, JSON.stringify(config));
    appendFileSync(join(dir, 'www', 'index.html'), '\n<!-- a change -->\n');

    const plan = await runCli(['plan'], { cwd: dir });
    expectOk(plan);
    const after = (resource: string) => plan.stdout.split('\n').slice(plan.stdout.split('\n').findIndex((l) => l.includes(resource)));
    expect(
      after(`~ update task definition ${app}-prod-web`)
        .slice(1, 3)
        .map((l) => l.trim()),
    ).toEqual(['memory: 512 → 1024', 'environment.LOG_FORMAT: json → text']);
    expect(after(`~ update ECS service ${app}`)[1]!.trim()).toBe('desiredCount: 1 → 2');
    expect(plan.stdout).toMatch(/\n\s+image: ctx-[0-9a-f]{8}… → ctx-[0-9a-f]{8}…\n/);
  }, 180_000);
});
