import { createAwsClients } from '../aws/clients.js';
import { clientOptionsFor } from '../aws/client-options.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { CommonOptions, Io } from '../options.js';
import { stateBackendFor, type StateBackend } from './state-backend.js';
import { resolveStateLocation, STATE_ENV, type StateLocation } from './state-location.js';

/** Where this run's state is: the config's `state`, DEPLOY_WIZARD_STATE, then --state-backend. */
export function stateLocationFor(loaded: LoadedConfig, opts: CommonOptions, io: Io): StateLocation {
  return resolveStateLocation(loaded.config.state, opts.stateBackend, io.env[STATE_ENV]);
}

/**
 * The state backend of this run. DEPLOY_WIZARD_LOCK_LEASE_MS shortens the S3
 * lock's lease (tests of a holder killed mid-run; a minute is the default).
 */
export function openState(loaded: LoadedConfig, opts: CommonOptions, io: Io, loc = stateLocationFor(loaded, opts, io)): StateBackend {
  const lease = Number(io.env.DEPLOY_WIZARD_LOCK_LEASE_MS);
  const region = opts.region ?? loaded.config.region;
  let clients: ReturnType<typeof createAwsClients> | undefined;
  return stateBackendFor(
    loc,
    { root: loaded.dir, app: loaded.config.app, env: opts.env },
    (r) => (clients ??= createAwsClients(clientOptionsFor(opts, io, region))).stateS3(r),
    Number.isFinite(lease) && lease > 0 ? lease : undefined,
  );
}

/** The command line as a lock records it. */
export const lockCommandOf = (io: Io) => ['deploy-wizard', ...io.argv].join(' ');
