import { withDeployment } from '../with-deployment.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import * as clack from '@clack/prompts';
import { ignoreStateDir } from '../session.js';
import { makeContextFactory } from '../pipeline/context-factory.js';
import { createLogger, Redactor } from '../logger.js';
import { runSteps, type StepEvent } from '../pipeline/runner.js';
import { pickRenderer } from '../ui/pick-renderer.js';
import { computePlan, preflightSteps } from '../pipeline/planner.js';
import { formatCost, formatPlan } from '../ui/format-plan.js';
import { InputError, InterruptedError } from '../errors.js';
import { describeAwsError } from '../aws/describe-error.js';
import { findRemovals, removalLines, REMOVAL_OPTIONS, runTeardowns } from '../pipeline/removed-steps.js';
import { systemClock } from '../clock.js';
import { formatSummary } from '../ui/format-summary.js';
import type { CommonOptions, Io } from '../options.js';
import type { Session } from '../session.js';
import { loadConfig, type LoadedConfig } from '../config/load-config.js';
import { callerAccount } from '../aws/caller-account.js';
import { createAwsClients } from '../aws/clients.js';
import { clientOptionsFor } from '../aws/client-options.js';
import { connectDocker } from '../docker/connect.js';
import { collectSecretInputs, missingSecretProblems } from '../secrets/inputs.js';
import type { StepOutputs } from '../pipeline/step.js';
import type { Settings } from '../pipeline/context.js';
import { openState } from '../state/open-state.js';
import { scheduledForDeletion } from '../secrets/store.js';
import { loadDigestCache, saveDigestCache } from '../docker/digest-cache-file.js';
import { appSecretName } from '../aws/names.js';

async function checkBeforeAsking(opts: CommonOptions, io: Io, loaded: LoadedConfig | undefined): Promise<void> {
  const region = opts.region ?? loaded?.config.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  await callerAccount(createAwsClients(clientOptionsFor(opts, io, region)));
  const images = loaded ? Object.keys(loaded.config.images).length > 0 : true;
  if (images) await connectDocker(io.env.DOCKER_HOST);
}

/**
 * Deploys the config: on a first run without one, writes it (init's questions);
 * asks for missing secret values, checks, plans (and on a terminal asks),
 * runs the pipeline under the lock, removes what the config dropped, and
 * prints the summary. `deploy` is this; `secrets set` ends with it.
 */
export async function deployApp(opts: CommonOptions, io: Io): Promise<number> {
  const interactive = io.isTTY && !opts.nonInteractive && !opts.json;
  const configPath = resolve(io.cwd, opts.configPath);
  // On a terminal, answers are typed by hand: credentials and Docker are checked first (one STS call, one
  // ping), so no question is asked, and no secret typed, for a run that could not go on.
  if (interactive) await checkBeforeAsking(opts, io, existsSync(configPath) ? await loadConfig(configPath, opts.env) : undefined);
  if (!existsSync(configPath)) {
    if (!interactive) {
      throw new InputError(`read config: ${opts.configPath} does not exist`, [`--config ${opts.configPath}: no such file`], {
        hint: 'Run `deploy-wizard init` on a terminal to create it, or commit deploy-wizard.json and pass --config PATH.',
      });
    }
    // Loaded only for a first run without a config: init's prompts and lookups are not a deploy's.
    const { runInit } = await import('../init/write-config.js');
    await runInit(opts, io);
  }
  const clock = systemClock;
  // Removing a service is confirmed by the plan screen (interactive) or --yes.
  const allowRemovals = opts.yes || interactive;
  const note = (m: string) => {
    if (!opts.json) io.stderr.write(m + '\n');
  };
  return withDeployment(
    opts,
    io,
    {
      docker: true,
      lock: true,
      // Asked secrets are settled before any AWS call: from env vars, the terminal, or already stored. The state is
      // read here unlocked, only for which keys are stored; the run works on the copy read under the lock.
      check: async (loaded, store) => {
        const peek = await store.load(loaded.config.app, clock.now());
        const storedKeys = (peek.steps.secrets?.outputs as StepOutputs['secrets'] | undefined)?.keys ?? [];
        const { values: secretValues, missing } = collectSecretInputs(loaded.config, io.env, storedKeys);
        if (missing.length && !interactive) {
          throw new InputError(
            `collect secrets: ${missing.length} required value${missing.length > 1 ? 's are' : ' is'} missing`,
            missingSecretProblems(missing),
            { hint: 'Nothing has been created. In CI, pass each value as an environment variable of the same name.' },
          );
        }
        for (const m of missing) {
          const v = await clack.password({ message: `${m.prompt} (${m.key})`, validate: (x) => (x ? undefined : 'required') });
          if (clack.isCancel(v)) throw new InterruptedError('deploy: cancelled', 'Nothing was changed.');
          secretValues[m.key] = v;
        }
        return { peek, secretValues, promoteFrom: opts.imagesFrom ? await imagesOf(loaded, opts, io, opts.imagesFrom) : undefined };
      },
      // Read-only checks of the account (network egress, subnets per AZ) before anything is locked, written or created.
      beforeLock: ({ session, checked }) => preflightSteps(session, checked.peek, io, { secretValues: checked.secretValues, allowRemovals }),
    },
    async ({ session, store, state, lock, checked: { secretValues, promoteFrom } }) => {
      if (lock!.brokeStale)
        note(
          `Took over a stale lock from pid ${lock!.brokeStale.pid} on ${lock!.brokeStale.host} (${lock!.brokeStale.command}), which ${store.kind === 's3' ? 'stopped renewing its lease' : 'is no longer running'}.`,
        );
      // File digests of the build context from earlier runs: an unchanged file is not read again.
      const digestCache = await loadDigestCache(store.digestsPath);
      try {
        const save = () => store.save(state, clock.now());
        // Keys removed from the config whose resources a deploy removes, and what steps retired: listed now (read-only), refused without consent.
        const quiet = createLogger(() => undefined, new Redactor(), false);
        const listContext = makeContextFactory(session, state, io, save, clock);
        const removals = await findRemovals(session, state, (step) => listContext(step, quiet));
        const removalPlan = removalLines(removals.map((r) => ({ step: r.step.id, items: r.items })));
        if (removalPlan.length && !allowRemovals)
          throw new InputError('deploy: keys removed from the config would delete resources', removalPlan, {
            hint: 'Nothing was changed. Run with --yes to delete them (data is never deleted by a deploy), or put the keys back.',
          });
        if (removalPlan.length && interactive && !opts.yes) clack.note(removalPlan.join('\n'), 'No longer in the config');
        else if (removalPlan.length && !opts.json) note(`No longer in the config:\n${removalPlan.map((l) => `  ${l}`).join('\n')}`);
        await save();
        if (await ignoreStateDir(session.loaded.dir)) note('Added .deploy-wizard/ to .gitignore.');

        if (interactive && !opts.yes) {
          const plan = await computePlan(session, state, io, (m) => clack.log.warn(m), {
            secretValues,
            digestCache,
            applyImmediately: opts.applyImmediately,
            skipMigrations: opts.skipMigrations,
            ...(promoteFrom ? { promoteFrom } : {}),
          });
          clack.note(formatPlan(plan.plans), `Plan for ${session.loaded.config.app} (${opts.env}) in ${session.region}`);
          clack.note(formatCost(plan.cost), 'Estimated monthly cost');
          const ok = await clack.confirm({ message: 'Deploy this?' });
          if (clack.isCancel(ok)) throw new InterruptedError('deploy: cancelled at the confirmation');
          if (!ok) {
            clack.outro('Nothing was changed.');
            return 0;
          }
        }

        const restoreSecrets = opts.yes || (interactive && (await confirmRestore(session, io)));
        const redactor = new Redactor();
        for (const v of Object.values(secretValues)) redactor.add(v);
        const emit = (e: StepEvent) => {
          if (opts.json) io.stdout.write(JSON.stringify(e) + '\n');
        };
        // A rollback left services on older revisions than the config's: say so before rolling them forward.
        for (const [name, r] of Object.entries(state.rollbacks ?? {})) {
          const m = `${name} runs ${r.family}:${r.to} after a rollback (it ran ${r.from}); this deploy rolls it forward to the config's revision.`;
          if (opts.json) emit({ step: 'deploy', status: 'warning', message: m, timestamp: clock.now().toISOString() });
          else note(m);
        }
        const resumed = Object.values(state.steps).some((s) => s.status === 'failed' || s.status === 'running');
        if (resumed) note('Resuming: steps that finished last time are checked, not redone.');
        const contextFor = makeContextFactory(session, state, io, save, clock, {
          secretValues,
          restoreSecrets,
          digestCache,
          allowRemovals,
          applyImmediately: opts.applyImmediately,
          skipMigrations: opts.skipMigrations,
          ...(promoteFrom ? { promoteFrom } : {}),
        });
        await runSteps({
          steps: session.steps,
          state,
          save,
          contextFor,
          makeLogger: (sink) => createLogger(sink, redactor, opts.verbose),
          renderer: pickRenderer(opts, io),
          emit,
          signal: io.signal,
          now: () => clock.now(),
          lockLost: () => lock!.lost?.(),
        });
        // What the config no longer asks for goes last, once everything it asks for converged (a firewall is
        // detached from the CDN by the site step before its web ACL is deleted here).
        for (const r of removals) {
          const log = createLogger(
            (_l, m) =>
              opts.json ? emit({ step: r.step.id, status: 'progress', message: m, timestamp: clock.now().toISOString() }) : note(`${r.step.id}: ${m}`),
            redactor,
            opts.verbose,
          );
          // A removed step's resources are listed again (the pipeline may have changed them); retired ones were listed from the outputs this run replaced.
          const items = r.whole
            ? await r.step.destroy!(contextFor(r.step, log), REMOVAL_OPTIONS).catch((e: unknown) => Promise.reject(describeAwsError(e, `check ${r.step.id}`)))
            : r.items;
          await runTeardowns(items, `remove ${r.step.id} (no longer in the config)`, {
            deleted: (t) => log.info(`deleted ${t.resource} (no longer in the config)`),
          });
          if (r.whole) {
            delete state.steps[r.step.id];
            await save();
          }
        }
        if (state.rollbacks) {
          delete state.rollbacks;
          await save();
        }
        if (opts.json)
          emit({ step: 'deploy', status: 'done', message: `deployed ${session.loaded.config.app} (${opts.env})`, timestamp: clock.now().toISOString() });
        else
          io.stdout.write(
            formatSummary(session.loaded.config, opts.env, session.region, state, session.steps, store.kind === 's3' ? store.where : undefined) + '\n',
          );
        return 0;
      } finally {
        // Best effort: a cache that was not written only means files are read again next time.
        await saveDigestCache(store.digestsPath, digestCache).catch(() => undefined);
      }
    },
  );
}

/** An app secret scheduled for deletion is restored only when the user says so (or passed --yes). */
async function confirmRestore(session: Session, io: Io): Promise<boolean> {
  const name = appSecretName({ app: session.loaded.config.app, env: session.loaded.env });
  if (!(await scheduledForDeletion(session.aws.secrets, name))) return false;
  const ok = await clack.confirm({ message: `Secret ${name} is scheduled for deletion. Restore it (its keys come back with it)?` });
  if (clack.isCancel(ok)) throw new InterruptedError('deploy: cancelled', 'Nothing was changed.');
  if (!ok) io.stderr.write('Not restoring it; the secrets step will stop with an error.\n');
  return ok;
}

/**
 * deploy --images-from ENV: the images ENV's last deploy pushed, read from its state (in the same place as this
 * env's, unlocked: only read), checked before any AWS call.
 */
async function imagesOf(loaded: LoadedConfig, opts: CommonOptions, io: Io, from: string): Promise<NonNullable<Settings['promoteFrom']>> {
  const key = '--images-from';
  if (from === opts.env) throw new InputError(`${key}: ${from} is the env being deployed`, [`${key}: name the env whose images to run here, such as staging`]);
  const state = await openState(loaded, { ...opts, env: from }, io).load(loaded.config.app, systemClock.now());
  const pushed = (state.steps['ecr-push']?.outputs as StepOutputs['ecr-push'] | undefined)?.images ?? {};
  const missing = Object.keys(loaded.config.images).filter((name) => !pushed[name]);
  if (missing.length)
    throw new InputError(
      `${key}: ${from} has no deployed ${missing.join(', ')} image${missing.length > 1 ? 's' : ''}`,
      [`${key}: deploy ${from} first (deploy-wizard deploy --env ${from}), or deploy without ${key} to build here`],
      { hint: 'Nothing has been created.' },
    );
  return {
    env: from,
    images: Object.fromEntries(
      Object.keys(loaded.config.images).map((name) => {
        const i = pushed[name]!;
        return [name, { repositoryName: i.repositoryName, imageDigest: i.imageDigest, imageTag: i.imageTag }];
      }),
    ),
  };
}
