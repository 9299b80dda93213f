import type { StepContext } from '../../src/pipeline/context.js';
import { rdsIdentifier } from '../../src/aws/names.js';

/**
 * The instance or Aurora cluster that holds the app's data: <app>-<env>, or the one `db restore` made from a
 * snapshot and moved the app to (<app>-<env>-r<N>), which the state records as the rds step's identifier.
 */
export const currentIdentifier = (ctx: Pick<StepContext, 'app' | 'env' | 'previous'>) =>
  (ctx.previous() as { identifier?: string } | undefined)?.identifier ?? rdsIdentifier(ctx.app, ctx.env);
