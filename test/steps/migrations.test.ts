import { describe, expect, it } from 'vitest';
import { StepError } from '../../src/errors.js';
import { migrations } from '../../steps/migrations/apply.js';
import { context, fakeEcs, withFakeEcs } from '../helpers/fake-ecs.js';

describe('failures that only a fake ECS can produce', () => {
  it('a migration that exits non-zero fails the step with the stopped reason and its last log lines', async () => {
    const { ctx, td } = await context(['Running upgrade 041 -> 042', 'sqlalchemy.exc.ProgrammingError: relation "users" does not exist']);
    ctx.config.migrations = { command: ['alembic', 'upgrade', 'head'], service: 'web', when: 'changed' };
    const fake = fakeEcs({ td: td.taskDefinitionArn, app: ctx.app, taskExit: 3 });
    withFakeEcs(ctx, fake);
    const err = await migrations.apply(ctx).catch((e) => e);
    expect(err).toBeInstanceOf(StepError);
    expect(err.message).toBe('run migrations: the task exited with 3: Essential container in task exited');
    expect(err.hint).toContain('relation "users" does not exist');
    expect(fake.calls).toContain('RunTask');
  });
});
