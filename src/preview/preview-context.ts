import type { StepContext } from '../pipeline/context.js';
import { previewDatabaseName } from '../aws/names.js';
import type { PreviewOf } from './preview-of.js';

/** The preview a step runs for: the steps run in place of the parent's (steps/preview-*) run for nothing else. */
export function requirePreview(ctx: Pick<StepContext, 'preview'>, step: string): PreviewOf {
  if (!ctx.preview) throw new Error(`the ${step} step runs only for a preview`);
  return ctx.preview;
}

/** The database a preview's DATABASE_URL names: its own, or the parent's (read-only) with database "shared". */
export function previewDbName(ctx: Pick<StepContext, 'preview' | 'config'>): string {
  const p = requirePreview(ctx, 'preview database');
  return p.database === 'shared' ? ctx.config.database!.name : previewDatabaseName(ctx.config.database!.name, p.name);
}
