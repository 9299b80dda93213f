import { APPLY_IMMEDIATELY, APPLY_IMMEDIATELY_HELP, SKIP_MIGRATIONS, SKIP_MIGRATIONS_HELP, bool, type Command } from './command.js';

export const plan: Command = {
  name: 'plan',
  overview: '  plan            read-only: what would change, and the cost',
  help: `Usage: deploy-wizard plan [flags]

Read-only: what each step would create, change or leave as it is, and the
estimated monthly cost. Makes no changes.

${APPLY_IMMEDIATELY_HELP}
${SKIP_MIGRATIONS_HELP}`,
  flags: { ...APPLY_IMMEDIATELY, ...SKIP_MIGRATIONS },
  options: (v) => ({
    ...(bool(v, 'apply-immediately') ? { applyImmediately: true } : {}),
    ...(bool(v, 'skip-migrations') ? { skipMigrations: true } : {}),
  }),
  run: async (opts, io) => (await import('../commands/plan.js')).planCommand(opts, io),
};
