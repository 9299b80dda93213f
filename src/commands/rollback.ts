import { withDeployment } from '../with-deployment.js';
import * as clack from '@clack/prompts';
import { activeTaskDefinition, pointServiceAt } from '../aws/ecs-service.js';
import { makeContextFactory } from '../pipeline/context-factory.js';
import { createLogger, Redactor } from '../logger.js';
import { systemClock } from '../clock.js';
import { closest } from '../config/suggest.js';
import { InputError, InterruptedError, WizardError } from '../errors.js';
import { describeAwsError } from '../aws/describe-error.js';
import { familyRevisions, rollbackTarget } from '../aws/task-revisions.js';
import { missingImagesOf } from '../aws/ecr-registry.js';
import { waitForRollout } from '../aws/ecs-service.js';
import type { StepOutputs } from '../pipeline/step.js';
import type { StateFile } from '../state/state-file.js';
import type { CommonOptions, Io } from '../options.js';

interface Move {
  name: string;
  serviceName: string;
  family: string;
  from: number;
  to: number;
  /** The full ARN of the target revision: what ECS reports back and the checks compare with. */
  arn: string;
}

const USAGE = 'usage: deploy-wizard rollback [SERVICE] [--to REVISION]';

/** The services to move, checked before the session opens: names and --to are input errors (exit 2). */
function chooseServices(config: { services: Record<string, unknown> }, args: readonly string[], to: string | undefined): { names: string[]; to?: number } {
  const all = Object.keys(config.services);
  if (args.length > 1) throw new InputError('rollback: one service at a time, or none for all', [USAGE]);
  const only = args[0];
  if (only !== undefined && !all.includes(only)) {
    const near = closest(only, all);
    throw new InputError(`rollback: no service "${only}" in the config`, [`SERVICE: one of ${all.join(', ')}${near ? `; did you mean ${near}?` : ''}`]);
  }
  let rev: number | undefined;
  if (to !== undefined) {
    if (!/^[1-9]\d*$/.test(to)) throw new InputError('rollback: invalid --to', [`--to ${to}: a task definition revision number, e.g. --to 3`]);
    if (!only && all.length > 1)
      throw new InputError('rollback: --to needs a service', [`--to ${to}: each service has its own revisions; name one (${all.join(', ')})`]);
    rev = Number(to);
  }
  return { names: only ? [only] : all, ...(rev !== undefined ? { to: rev } : {}) };
}

/**
 * `rollback`: puts services back on their previous (or the named) task
 * definition revision and waits like a deploy: the rollout (with the circuit
 * breaker), then the first-boot checks. The state records it, so `status`
 * shows the service runs an older revision than the config and the next
 * deploy says it rolls forward.
 */
export async function rollbackCommand(opts: CommonOptions, io: Io, args: readonly string[]): Promise<number> {
  const clock = systemClock;
  return withDeployment(
    opts,
    io,
    { lock: true, check: (loaded) => chooseServices(loaded.config, args, opts.rollback?.to) },
    async ({ loaded, session, store, state, checked: chosen }) => {
      const say = (status: 'progress' | 'done' | 'warning', m: string) => {
        if (opts.json) io.stdout.write(JSON.stringify({ step: 'rollback', status, message: m, timestamp: clock.now().toISOString() }) + '\n');
        else io.stderr.write(m + '\n');
      };
      const svcOut = state.steps.service?.outputs as StepOutputs['service'] | undefined;
      const tdOut = state.steps['task-definition']?.outputs as StepOutputs['task-definition'] | undefined;
      if (!svcOut || !tdOut) throw new WizardError('rollback: nothing is deployed yet', { hint: `Run deploy-wizard deploy --env ${opts.env} first.` });

      const moves: Move[] = [];
      const problems: string[] = [];
      for (const name of chosen.names) {
        const rec = svcOut.services[name];
        if (!rec) {
          problems.push(`${name}: not deployed yet (run deploy first)`);
          continue;
        }
        const arn = await activeTaskDefinition(session.aws.ecs, svcOut.clusterName, rec.serviceName).catch((e: unknown) =>
          Promise.reject(describeAwsError(e, 'rollback')),
        );
        const m = arn ? /task-definition\/(.+):(\d+)$/.exec(arn) : null;
        if (!m) {
          problems.push(`${name}: no running ECS service ${rec.serviceName}; run deploy to recreate it`);
          continue;
        }
        const [family, current] = [m[1]!, Number(m[2])];
        const arnOf = (rev: number) => arn!.replace(/:\d+$/, `:${rev}`);
        let gone: string[] = [];
        const target = rollbackTarget(await familyRevisions(session.aws, family, io.signal), current, chosen.to);
        if ('problem' in target) problems.push(`${name}: ${target.problem}`);
        // The registry keeps the last images only (its lifecycle rule): a revision whose image is gone could not start.
        else if ((gone = await missingImagesOf(session.aws, arnOf(target.revision), io.env.DEPLOY_WIZARD_REGISTRY || undefined, io.signal)).length)
          problems.push(
            `${name}: revision ${target.revision}'s image ${gone[0]} is no longer in the registry (the repository keeps its last 20 images); roll back to a newer revision with --to, or deploy`,
          );
        else moves.push({ name, serviceName: rec.serviceName, family, from: current, to: target.revision, arn: arnOf(target.revision) });
      }
      if (problems.length) throw new InputError('rollback: nothing was changed', problems);

      const lines = moves.map((m) => `${m.name}: ${m.family}:${m.from} → ${m.family}:${m.to}`);
      if (io.isTTY && !opts.nonInteractive && !opts.json && !opts.yes) {
        clack.note(lines.join('\n'), `Roll back ${loaded.config.app} (${opts.env})`);
        const ok = await clack.confirm({ message: 'Roll back?' });
        if (clack.isCancel(ok) || !ok) throw new InterruptedError('rollback: cancelled', 'Nothing was changed.');
      }

      const save = () => store.save(state, clock.now());
      for (const m of moves) {
        // Recorded first: a crash right after the update still leaves status and the next deploy knowing why.
        state.rollbacks = { ...state.rollbacks, [m.name]: { family: m.family, from: m.from, to: m.to, at: clock.now().toISOString() } };
        await save();
        say('progress', `${m.name}: rolling back to ${m.family}:${m.to} (was ${m.from})`);
        await pointServiceAt(session.aws.ecs, svcOut.clusterName, m.serviceName, m.arn, io.signal).catch((e: unknown) =>
          Promise.reject(describeAwsError(e, `rollback ${m.name}`)),
        );
      }

      // The first-boot checks judge the services against what they should run now: the rolled-back revisions.
      const view = structuredClone(state) as StateFile;
      const viewSvc = view.steps.service!.outputs as unknown as StepOutputs['service'];
      for (const m of moves) viewSvc.services[m.name]!.taskDefinitionArn = m.arn;
      const redactor = new Redactor();
      const log = createLogger((_level, msg) => say('progress', msg), redactor, opts.verbose);
      const contextFor = makeContextFactory(session, view, io, async () => undefined, clock);
      const stepOf = (id: string) => session.steps.find((s) => s.id === id)!;
      const sctx = contextFor(stepOf('service'), log);
      try {
        await Promise.all(
          moves.map((m) =>
            waitForRollout(sctx, {
              cluster: svcOut.clusterName,
              name: m.serviceName,
              label: m.name,
              td: { ...tdOut.services[m.name]!, revision: m.to, taskDefinitionArn: m.arn },
              logGroup: tdOut.logGroup,
            }),
          ),
        );
      } catch (e) {
        // The circuit breaker put the service back where it was: it no longer runs the rolled-back revision.
        for (const m of moves) delete state.rollbacks?.[m.name];
        await save();
        throw e;
      }
      const firstBoot = stepOf('first-boot');
      const boot = (await firstBoot.apply(contextFor(firstBoot, log))) as StepOutputs['first-boot'];
      say('progress', `first boot: ${boot.checks.filter((c) => c.ok).length} check(s) passed; ${boot.url} answers`);
      const done = `Rolled back: ${lines.join('; ')}. The config still deploys the newer revision: the next deploy rolls forward.`;
      if (opts.json) say('done', done);
      else io.stdout.write(done + '\n');
      return 0;
    },
  );
}
