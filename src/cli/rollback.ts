import { str, type Command } from './command.js';

export const rollback: Command = {
  name: 'rollback',
  overview: '  rollback [SERVICE]  back to the previous task definition revision (--to N)',
  help: `Usage: deploy-wizard rollback [SERVICE] [--to REVISION] [flags]

Puts a service (every service when none is named) back on its previous task
definition revision, or on the one --to names, then waits like a deploy: the
rollout (with the circuit breaker) and the first-boot checks. The config
still says the newer revision: status shows the difference, and the next
deploy rolls forward (saying so first).

  --to REVISION   a revision number of the service's task definition family`,
  flags: { to: { type: 'string' } },
  options: (v) => ({ rollback: { to: str(v, 'to') } }),
  run: async (opts, io, rest) => (await import('../commands/rollback.js')).rollbackCommand(opts, io, rest),
};
