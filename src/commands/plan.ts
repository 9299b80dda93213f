import { withDeployment } from '../with-deployment.js';
import { loadDigestCache } from '../docker/digest-cache-file.js';
import { formatCost, formatPlan } from '../ui/format-plan.js';
import type { CommonOptions, Io } from '../options.js';
import { collectSecretInputs } from '../secrets/inputs.js';
import { computePlan } from '../pipeline/planner.js';

export async function planCommand(opts: CommonOptions, io: Io): Promise<number> {
  // Planning needs no Docker: it reads the registry over HTTP. A plan is read-only: no lock, and a state of
  // another account is shown as it is.
  return withDeployment(opts, io, { identity: false }, async ({ store, session, state }) => {
    const { values } = collectSecretInputs(session.loaded.config, io.env, []);
    // Read-only: the digests from earlier runs are used, never written.
    const digestCache = await loadDigestCache(store.digestsPath);
    const plan = await computePlan(session, state, io, (m) => io.stderr.write(`warning: ${m}\n`), {
      secretValues: values,
      digestCache,
      applyImmediately: opts.applyImmediately,
      skipMigrations: opts.skipMigrations,
    });
    if (opts.json) {
      io.stdout.write(
        JSON.stringify({
          type: 'plan',
          env: opts.env,
          account: session.account,
          region: session.region,
          ...plan,
          ...(state.transfer ? { transferBucket: state.transfer.bucket } : {}),
        }) + '\n',
      );
    } else {
      io.stdout.write(`Plan for ${session.loaded.config.app} (${opts.env}) in ${session.region}, account ${session.account}\n\n`);
      io.stdout.write(formatPlan(plan.plans) + '\n');
      // Not a step's: made by the first db import or export, unchanged by a deploy, removed by destroy.
      if (state.transfer) io.stdout.write(`\nTransfer bucket ${state.transfer.bucket} (db import/export; its files expire after a day)\n`);
      io.stdout.write('\nEstimated monthly cost\n' + formatCost(plan.cost) + '\n');
    }
    return 0;
  });
}
