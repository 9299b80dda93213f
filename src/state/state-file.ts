// The shape of .deploy-wizard/<env>.state.json. Outputs never hold secret values.

export const STATE_VERSION = 1;

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
 * Version 1 is the first released format, so the table is empty; a change to
 * the format bumps STATE_VERSION and adds its upgrade here.
 */
export const MIGRATIONS: Record<number, (s: Record<string, unknown>) => Record<string, unknown>> = {};
