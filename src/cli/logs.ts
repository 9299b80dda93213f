import { bool, str, type Command } from './command.js';

export const logs: Command = {
  name: 'logs',
  overview: `  logs [SERVICE]  the services' log lines, interleaved and prefixed; --follow to tail`,
  help: `Usage: deploy-wizard logs [SERVICE...] [flags]

The log lines of the services' tasks (all services by default), interleaved
by time and prefixed with the service name. Secret values show as ****.

  --since WHEN     15m, 2h, 1d, or a time such as 2026-11-20T10:00 (UTC); default 10m
  --follow, -f     keep printing new lines until Ctrl-C
  --filter PATTERN a CloudWatch Logs filter pattern, e.g. ERROR or "timed out"
  --task NAME      migrations: the last migration task's lines; a schedule's
                   name: the lines of its runs
  --no-redact      print lines even when the app secret cannot be read to redact
                   them (without it, logs refuses and says why)`,
  flags: {
    since: { type: 'string' },
    follow: { type: 'boolean', short: 'f' },
    filter: { type: 'string' },
    task: { type: 'string' },
    'no-redact': { type: 'boolean' },
  },
  options: (v) => ({
    logs: { since: str(v, 'since'), follow: !!bool(v, 'follow'), filter: str(v, 'filter'), task: str(v, 'task'), noRedact: !!bool(v, 'no-redact') },
  }),
  run: async (opts, io, rest) => (await import('../commands/logs.js')).logsCommand(opts, io, rest),
};
