import { bool, list, str, type Command } from './command.js';
import { parseDuration } from '../parse-duration.js';

export const run: Command = {
  name: 'run',
  overview: `  run [SERVICE] -- CMD  a one-off task of a service's current revision (its env, secrets, network, role)`,
  help: `Usage: deploy-wizard run [SERVICE] [flags] [--] COMMAND [ARGS...]

Runs COMMAND once in a Fargate task of SERVICE's current revision (default:
migrations.service, else the web service on "/*"), with the service's
environment and secrets, its network and its task role. Prints the task's log
lines as they arrive and exits with the command's exit code. Put -- before a
command that has flags of its own.

  --cpu N            task CPU units for this run (a Fargate size with --memory)
  --memory MIB       task memory for this run
  --env KEY=VALUE    a plain variable for this run (repeatable; not a secret key)
  --detach           print the task's ARN and return without waiting
  --timeout DURATION stop the task when it runs longer (30s, 15m, 2h)

Ctrl-C stops the task (in a terminal, after asking) and exits 130.`,
  flags: {
    cpu: { type: 'string' },
    memory: { type: 'string' },
    detach: { type: 'boolean' },
    timeout: { type: 'string' },
  },
  passThrough: true,
  ownsInterrupt: true,
  check: (v, rest) => {
    const problems: string[] = [];
    for (const k of ['cpu', 'memory'] as const) {
      const s = str(v, k);
      if (s !== undefined && !/^\d+$/.test(s)) problems.push(`--${k} ${s}: a whole number (${k === 'cpu' ? 'CPU units, e.g. 512' : 'MiB, e.g. 1024'})`);
    }
    const t = str(v, 'timeout');
    if (t !== undefined && parseDuration(t) === undefined) problems.push(`--timeout ${t}: a duration such as 90s, 15m or 2h`);
    for (const e of list(v, 'run-env'))
      if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(e)) problems.push(`--env ${e}: KEY=VALUE, with KEY letters, digits and _ (not starting with a digit)`);
    if (!rest.filter((a) => a !== '--').length) problems.push('run: name the command to run, e.g. deploy-wizard run web -- rails db:seed');
    return problems;
  },
  options: (v) => ({
    run: {
      cpu: str(v, 'cpu') ? Number(str(v, 'cpu')) : undefined,
      memory: str(v, 'memory') ? Number(str(v, 'memory')) : undefined,
      env: Object.fromEntries(list(v, 'run-env').map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
      detach: !!bool(v, 'detach'),
      timeoutMs: str(v, 'timeout') ? parseDuration(str(v, 'timeout')!) : undefined,
    },
  }),
  run: async (opts, io, rest) => (await import('../commands/run.js')).runCommand(opts, io, rest),
};
