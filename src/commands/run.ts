import { withDeployment } from '../with-deployment.js';
import { InputError } from '../errors.js';
import { secretNamesOf, serviceTarget } from '../tasks/service-target.js';
import { runAndFollow } from '../tasks/run-and-follow.js';
import { fargateProblem } from '../config/fargate.js';
import type { Config } from '../config/schema.js';
import type { CommonOptions, Io } from '../options.js';

/** migrations.service, else the web service on "/*", else the first. */
export function defaultRunService(config: Config): string {
  return config.migrations?.service ?? Object.values(config.services).find((s) => s.routes.includes('/*'))?.name ?? Object.keys(config.services)[0]!;
}

/** What comes before `--` (or a first word that names a service) is the service; the rest is the command. */
export function splitRunArgs(config: Config, rest: readonly string[]): { service: string; command: string[] } {
  const dd = rest.indexOf('--');
  if (dd >= 0) {
    const before = rest.slice(0, dd);
    if (before.length > 1) throw new InputError('run: invalid arguments', [`${before.join(' ')}: name one service before --, then the command after it`]);
    return { service: before[0] ?? defaultRunService(config), command: rest.slice(dd + 1) };
  }
  if (rest[0] !== undefined && rest[0] in config.services) return { service: rest[0], command: rest.slice(1) };
  return { service: defaultRunService(config), command: [...rest] };
}

/** `run [SERVICE] [--] CMD...`: a one-off task of a service's current revision; exits with its exit code. */
export async function runCommand(opts: CommonOptions, io: Io, rest: string[]): Promise<number> {
  return withDeployment(opts, io, {}, async (d) => {
    const config = d.loaded.config;
    const { service, command } = splitRunArgs(config, rest);
    const spec = config.services[service];
    if (!spec)
      throw new InputError('run: invalid arguments', [`${service}: not a service of this app; services are ${Object.keys(config.services).join(', ')}`]);
    if (!command.length) throw new InputError('run: invalid arguments', ['name the command to run, e.g. deploy-wizard run web -- rails db:seed']);
    const o = opts.run ?? { env: {}, detach: false };
    const problems: string[] = [];
    if (o.cpu !== undefined || o.memory !== undefined) {
      const p = fargateProblem(o.cpu ?? spec.cpu, o.memory ?? spec.memory);
      if (p) problems.push(`--cpu/--memory: ${p}`);
    }
    const target = await serviceTarget(d, service);
    const secretNames = await secretNamesOf(d.session.aws, target.taskDefinition, target.container);
    for (const k of Object.keys(o.env))
      if (secretNames.has(k)) problems.push(`--env ${k}: a secret of ${service}; change it with deploy-wizard secrets set ${k}, not on the command line`);
    if (problems.length) throw new InputError('run: invalid flags', problems);
    return runAndFollow(d, opts, io, {
      ...target,
      service,
      command,
      environment: o.env,
      ...(o.cpu !== undefined || o.memory !== undefined ? { cpu: o.cpu ?? spec.cpu, memory: o.memory ?? spec.memory } : {}),
      detach: o.detach,
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      label: service,
    });
  });
}
