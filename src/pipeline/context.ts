import type Docker from 'dockerode';
import type { Config } from '../config/schema.js';
import type { AwsClients } from '../aws/clients.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Intent } from '../state/state-file.js';
import type { StepId, StepOutputs } from './outputs.js';
import type { Probe } from '../probe.js';
import type { DigestCache } from '../docker/build-context.js';
import type { PreviewOf } from '../preview/preview-of.js';

/** Values that come from the environment, read once by the CLI and passed down. */
export interface Settings {
  /** host:port (optionally with http:// or https://) to push to instead of ECR's endpoint: for emulators. */
  registryOverride?: string;
  /** DEPLOY_WIZARD_DB_URL: reach the database through this URL (a tunnel) instead of a task in the VPC. */
  dbUrl?: string;
  /** Values for `prompt` secrets, asked on the terminal or read from env vars of the same name. Never logged or stored. */
  secretValues?: Readonly<Record<string, string>>;
  /** The user passed --yes or confirms the plan interactively: services no longer in the config may be deleted. */
  allowRemovals?: boolean;
  /** --apply-immediately: database changes that can wait go out now, whatever database.applyImmediately says. */
  applyImmediately?: boolean;
  /** --skip-migrations: this deploy does not migrate (the next one that does migrates the revision it skipped). */
  skipMigrations?: boolean;
  /** The user agreed (or passed --yes) to restore an app secret scheduled for deletion. */
  restoreSecrets?: boolean;
  /** DEPLOY_WIZARD_HEALTH_URL: where first-boot probes instead of the load balancer (emulators, or a custom domain). */
  healthUrl?: string;
  /** Digests of build-context files from earlier runs, so unchanged files are not read again; updated in place. */
  digestCache?: DigestCache;
  /**
   * deploy --images-from ENV: the images ENV runs, by name, to copy into this env's repositories (by digest, no
   * build) instead of building from the context.
   */
  promoteFrom?: { env: string; images: Record<string, { repositoryName: string; imageDigest: string; imageTag: string }> };
  /** Environment variables visible to build args (`{ "env": "NAME" }`). Never logged. */
  buildEnv: Readonly<Record<string, string | undefined>>;
}

/** What a step may use. Steps get everything from here and nothing from globals. */
export interface StepContext<Id extends StepId = StepId> {
  app: string;
  env: string;
  region: string;
  account: string;
  config: Config;
  /** Set when this run is a preview environment on a parent env (src/preview/). */
  preview?: PreviewOf;
  /** Directory of deploy-wizard.json; image paths are relative to it. */
  configDir: string;
  aws: AwsClients;
  /** Present when a step that builds images is enabled and Docker answered the preflight ping. */
  docker?: Docker;
  settings: Settings;
  log: Logger;
  clock: Clock;
  probe: Probe;
  signal: AbortSignal;
  /** Outputs of a step this one lists in dependsOn (any other is an error at once). */
  output<K extends StepId>(stepId: K): StepOutputs[K];
  /** This step's outputs from its last successful run, if any. */
  previous(): StepOutputs[Id] | undefined;
  intents: {
    get(key: string): Intent | undefined;
    /** Persists before returning, so the intent survives a crash right after the create call. */
    record(key: string, intent: Intent): Promise<void>;
    /** Forgets an intent whose work is over (a one-off task that stopped), so the next run starts afresh. */
    clear(key: string): Promise<void>;
  };
}
