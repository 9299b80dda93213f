import type { StepId, StepOutputs } from '../pipeline/outputs.js';

// What a step knows of the preview it runs for: the run's env is the preview's
// own (`<parent>--<name>`, which no env can be named: env names have single
// hyphens), and these say what it shares with the parent and how.

export interface PreviewOf {
  /** The preview's name: pr-42. */
  name: string;
  /** The parent env (previews.from), whose network, cluster, load balancer, cache and database instance it shares. */
  parent: string;
  /** The name it answers at: pr-42.preview.example.com. */
  host: string;
  database: 'clone' | 'empty' | 'shared';
  /** Clone from this preview's database instead of the parent's (preview up --data-from NAME). */
  dataFrom?: string;
  /** Clone the schema only (preview up --schema-only). */
  schemaOnly?: boolean;
  maxCloneMb: number;
  /** Its Redis logical database (0 is the parent's); with none free, its keys carry CACHE_KEY_PREFIX instead. */
  cacheDb?: number;
  /** The key prefix its objects use in the parent's buckets: previews/NAME/. */
  bucketPrefix: string;
  /** preview down: keep a dump of its database in the parent's transfer bucket for this many days (absent: --no-keep, or up). */
  keepDays?: number;
  /** The parent's step outputs, as its state holds them: what the preview's own steps build on. */
  parentOutputs: Readonly<Record<string, unknown>>;
}

/** One of the parent's step outputs; the steps a preview runs in place of the parent's (steps/preview-*) read them here. */
export function parentOutput<K extends StepId>(w: { preview?: PreviewOf }, id: K): StepOutputs[K] | undefined {
  return w.preview?.parentOutputs[id] as StepOutputs[K] | undefined;
}

/** The env a preview's state, names and tags use. */
export const previewEnv = (parent: string, name: string) => `${parent}--${name}`;

/** The preview a `<parent>--<name>` env is, if it is one. */
export function parsePreviewEnv(env: string): { parent: string; name: string } | undefined {
  const i = env.indexOf('--');
  return i > 0 ? { parent: env.slice(0, i), name: env.slice(i + 2) } : undefined;
}

/** The env whose resources are shared: the parent's for a preview, else the run's own. */
export const sharedEnv = (w: { env: string; preview?: Pick<PreviewOf, 'parent'> }) => w.preview?.parent ?? w.env;

/** Who owns what a preview shares (the parent's cluster and repositories): the parent's app and env. */
export const sharedOwner = (w: { app: string; env: string; preview?: Pick<PreviewOf, 'parent'> }) => ({ app: w.app, env: sharedEnv(w) });
