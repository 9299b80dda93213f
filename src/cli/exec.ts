import type { Command } from './command.js';

export const exec: Command = {
  name: 'exec',
  overview: `  exec SERVICE [-- CMD]  a shell (or CMD) in a running task of a service (ECS Exec; services.NAME.exec)`,
  help: `Usage: deploy-wizard exec SERVICE [flags] [-- COMMAND [ARGS...]]

Opens /bin/sh (or COMMAND) in a running task of SERVICE through ECS Exec.
The service needs "exec": true in the config (services.SERVICE.exec), which a
deploy turns into enableExecuteCommand and a task role of its own with the
Session Manager channels. Runs AWS's Session Manager plugin when it is
installed; otherwise prints the aws ecs execute-command line to run once it is.`,
  passThrough: true,
  check: (_v, rest) => (rest.filter((a) => a !== '--').length ? [] : ['exec: name the service, e.g. deploy-wizard exec web']),
  run: async (opts, io, rest) => (await import('../commands/exec.js')).execCommand(opts, io, rest),
};
