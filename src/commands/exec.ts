import { withDeployment } from '../with-deployment.js';
import { InputError, WizardError } from '../errors.js';
import { clusterName, ecsServiceName } from '../aws/names.js';
import { execCommandLine, findExecTask, openExecSession, sessionManagerPlugin } from '../tasks/exec-session.js';
import type { StepOutputs } from '../pipeline/step.js';
import type { CommonOptions, Io } from '../options.js';

/** `exec SERVICE [-- CMD]`: a shell (or CMD) in a running task through ECS Exec; only for services with `exec: true`. */
export async function execCommand(opts: CommonOptions, io: Io, rest: string[]): Promise<number> {
  const dd = rest.indexOf('--');
  const before = dd >= 0 ? rest.slice(0, dd) : rest.slice(0, 1);
  const command = dd >= 0 ? rest.slice(dd + 1) : rest.slice(1);
  const service = before[0]!;
  return withDeployment(
    opts,
    io,
    {
      // Before any AWS call: the config decides whether exec is allowed at all.
      check: (loaded) => {
        const spec = loaded.config.services[service];
        if (!spec)
          throw new InputError('exec: invalid arguments', [
            `${service}: not a service of this app; services are ${Object.keys(loaded.config.services).join(', ')}`,
          ]);
        if (before.length > 1 || (dd < 0 && command.length))
          throw new InputError('exec: invalid arguments', [
            `put -- before the command: deploy-wizard exec ${service} -- ${[...before.slice(1), ...command].join(' ')}`,
          ]);
        if (!spec.exec)
          throw new InputError(`exec: ${service} does not allow ECS Exec`, [`${spec.key}.exec: set it to true, then deploy (its tasks roll once)`], {
            hint: 'ECS Exec gives whoever may call ecs:ExecuteCommand a shell in the running tasks, so it is off unless the config turns it on.',
          });
      },
    },
    async ({ session, state }) => {
      const ctx = { app: session.loaded.config.app, env: opts.env };
      const tds = state.steps['task-definition']?.outputs as StepOutputs['task-definition'] | undefined;
      const cluster = clusterName(ctx);
      const target = await findExecTask(session.aws, cluster, ecsServiceName(ctx, service), tds?.services[service]?.containerName ?? service);
      const cmd = command.length ? command : ['/bin/sh'];
      const plugin = sessionManagerPlugin(io.env.PATH);
      if (!plugin) {
        io.stdout.write(`${execCommandLine(session.region, cluster, target, cmd)}\n`);
        throw new WizardError(`exec: AWS's Session Manager plugin is not installed, so the session cannot open from here`, {
          hint: 'Install it (https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html), then run deploy-wizard exec again, or the aws line above.',
        });
      }
      return openExecSession(session.aws, {
        plugin,
        region: session.region,
        cluster,
        target,
        command: cmd,
        ...(opts.profile ? { profile: opts.profile } : {}),
      });
    },
  );
}
