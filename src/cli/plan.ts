import { APPLY_IMMEDIATELY, APPLY_IMMEDIATELY_HELP, bool, type Command } from './command.js';

export const plan: Command = {
  name: 'plan',
  overview: '  plan            read-only: what would change, and the cost',
  help: `Usage: deploy-wizard plan [flags]

Read-only: what each step would create, change or leave as it is, and the
estimated monthly cost. Makes no changes.

${APPLY_IMMEDIATELY_HELP}`,
  flags: APPLY_IMMEDIATELY,
  options: (v) => (bool(v, 'apply-immediately') ? { applyImmediately: true } : {}),
  run: async (opts, io) => (await import('../commands/plan.js')).planCommand(opts, io),
};
