import { StateError } from '../errors.js';

// The shape of .deploy-wizard/<env>.state.json. Outputs never hold secret values.

export const STATE_VERSION = 2;

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface Intent {
  /** What is about to be created, e.g. a name or client token, so a crash can be followed by adoption. */
  [key: string]: string | number | boolean;
}

export interface StepState {
  status: StepStatus;
  inputHash?: string;
  outputs?: Record<string, unknown>;
  error?: { message: string; hint?: string };
  startedAt?: string;
  finishedAt?: string;
  /** Recorded before creates that cannot be looked up atomically; read back after a crash. */
  intents?: Record<string, Intent>;
}

export interface StateFile {
  version: number;
  app: string;
  env: string;
  account?: string;
  region?: string;
  createdAt: string;
  updatedAt: string;
  steps: Record<string, StepState>;
  /** Services `rollback` put on an older revision than the config's, by config name; the next deploy rolls them forward and clears this. */
  rollbacks?: Record<string, RollbackRecord>;
  /** Set while a destroy is under way: a run after a kill keeps its snapshot names (and says it resumes). */
  destroy?: { stamp: string; startedAt: string; deleteData: boolean };
  /**
   * One-off tasks `run` and `db` start, by what was asked: the client token recorded before RunTask goes out, then
   * the task. A run killed before ECS answered asks again with the same token and gets the same task.
   */
  runs?: Record<string, { token: string; taskArn?: string; at: string }>;
  /** A `db restore` under way: the instance it is making from which snapshot, named before it is asked for. */
  restore?: { snapshot: string; identifier: string; at: string };
  /** The transfer bucket `db import`/`export` made, named here before it is created (so a kill before it is tagged finds it ours). */
  transfer?: { bucket: string; at: string };
  /** A preview environment's (src/preview/): what it is, and when it was made, last brought up and taken down. */
  preview?: PreviewRecord;
}

export interface PreviewRecord {
  name: string;
  parent: string;
  host: string;
  url?: string;
  database?: 'clone' | 'empty' | 'shared';
  /** Its Redis logical database, kept for its life. */
  cacheDb?: number;
  createdAt: string;
  upAt: string;
  /** Set by preview down (its resources are gone; the record stays, so a later up starts afresh). */
  downAt?: string;
  /** The dump preview down kept in the parent's transfer bucket. */
  keptDump?: string;
}

export interface RollbackRecord {
  family: string;
  /** The revision it ran before the rollback, and the one it runs now. */
  from: number;
  to: number;
  at: string;
}

export function emptyState(app: string, env: string, now: Date): StateFile {
  const ts = now.toISOString();
  return { version: STATE_VERSION, app, env, createdAt: ts, updatedAt: ts, steps: {} };
}

/**
 * Migrations from older state versions, keyed by the version they upgrade from.
 * A change to the format bumps STATE_VERSION and adds its upgrade here.
 */
export const MIGRATIONS: Record<number, (s: Record<string, unknown>) => Record<string, unknown>> = {
  1: loadBalancerOwnStep,
};

/**
 * 1 → 2: the load balancer moved from the service step into its own step.
 * Its outputs move with it (so status and the summary still find the URL
 * before the next deploy), marked pending so that deploy converges the new
 * step once, adopting the same load balancer and target groups by name.
 */
function loadBalancerOwnStep(raw: Record<string, unknown>): Record<string, unknown> {
  // A damaged file is left as it is, for the checks after the upgrades to report.
  if (typeof raw.steps !== 'object' || raw.steps === null || Array.isArray(raw.steps)) return raw;
  const steps = { ...(raw.steps as Record<string, StepState>) };
  const svc = steps.service?.outputs as
    { loadBalancerArn?: string; dnsName?: string; url?: string; services?: Record<string, { targetGroupArn?: string }> } | undefined;
  if (svc?.loadBalancerArn && !steps['load-balancer']) {
    const { loadBalancerArn, dnsName, url, ...rest } = svc;
    const targetGroups = Object.fromEntries(Object.entries(svc.services ?? {}).flatMap(([name, s]) => (s.targetGroupArn ? [[name, s.targetGroupArn]] : [])));
    steps['load-balancer'] = { status: 'pending', outputs: { loadBalancerArn, dnsName, url, targetGroups, retiredTargetGroups: [] } };
    steps.service = { ...steps.service!, outputs: rest };
  }
  return { ...raw, steps };
}

/** JSON text to a raw state object; anything else is reported through `corrupt`. */
export function parseStateText(text: string, corrupt: (why: string) => StateError): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw corrupt('it is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw corrupt(`it holds ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : `a ${typeof raw}`}, not a state object`);
  return raw as Record<string, unknown>;
}

/**
 * A raw state read from `where` (a file or an S3 object), upgraded to this
 * format version and checked to belong to `app`. A newer format is refused:
 * an older wizard must not rewrite what it does not understand.
 */
export function upgradeState(raw0: Record<string, unknown>, where: string, app: string, corrupt: (why: string) => StateError): StateFile {
  let raw = raw0;
  const version = Number(raw.version);
  if (!Number.isInteger(version) || version > STATE_VERSION) {
    throw new StateError(`read state: ${where} has format version ${String(raw.version)}, newer than this wizard understands (${STATE_VERSION})`, {
      hint: 'Upgrade deploy-wizard (npx deploy-wizard@latest) rather than risk an older one rewriting it.',
    });
  }
  for (let v = version; v < STATE_VERSION; v++) {
    const migrate = MIGRATIONS[v];
    if (!migrate) throw new StateError(`read state: no upgrade from format version ${v}`);
    raw = { ...migrate(raw), version: v + 1 };
  }
  const state = raw as unknown as StateFile;
  if (typeof state.steps !== 'object' || state.steps === null || Array.isArray(state.steps) || typeof state.app !== 'string') {
    throw corrupt('it has no "app" or no "steps" object');
  }
  if (state.app !== app) {
    throw new StateError(`read state: ${where} belongs to app "${state.app}", not "${app}"`, {
      hint: 'Check --config and --env; each app keeps its state in its own place.',
    });
  }
  return state;
}
