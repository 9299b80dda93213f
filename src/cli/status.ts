import type { Command } from './command.js';

export const status: Command = {
  name: 'status',
  overview: '  status          read-only: the last deploy and every service live; exit 1 when degraded',
  help: `Usage: deploy-wizard status [flags]

Read-only: the last deploy's time and outcome, each step's status, and live
per service: running, pending and desired tasks, the rollout, the task
definition revision (and the one the last deploy set, when they differ), the
image tag and target health; each schedule's next run. --json prints one
document. Exit 0 when everything is healthy, 1 with the reasons when not.`,
  run: async (opts, io) => (await import('../commands/status.js')).statusCommand(opts, io),
};
