import { DeleteSecretCommand, ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import type { StepContext } from '../../src/pipeline/context.js';
import { ownedBy, type DestroyOptions, type Teardown } from '../../src/pipeline/step.js';
import { unlessNotFound } from '../../src/aws/not-found.js';
import { SECRET_MONTH } from '../../src/pricing.js';
import { appSecretName } from '../../src/aws/names.js';

/** Days a deleted secret can still be restored; the least Secrets Manager allows. A deploy restores it (asking first). */
export const RECOVERY_DAYS = 7;

/**
 * The app secret and the generated ones beside it (database, cache): values
 * the user may not be able to make again (a third-party API token), so kept
 * unless --delete-data, and even then restorable for a week.
 */
export async function destroySecrets(ctx: StepContext, o: DestroyOptions): Promise<Teardown[]> {
  const base = appSecretName(ctx);
  const items: Teardown[] = [];
  let NextToken: string | undefined;
  do {
    // The name filter matches by prefix; planned deletions are not listed (already on their way out).
    const page = await ctx.aws.secrets.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [base] }], NextToken }));
    for (const s of page.SecretList ?? []) {
      if (s.Name !== base && !s.Name?.startsWith(`${base}/`)) continue;
      if (s.DeletedDate || !ownedBy(ctx, s.Tags)) continue;
      const resource = `secret ${s.Name}`;
      items.push(
        o.deleteData
          ? {
              resource: `${resource} (restorable for ${RECOVERY_DAYS} days)`,
              remove: async () =>
                void (await unlessNotFound(
                  ctx.aws.secrets.send(new DeleteSecretCommand({ SecretId: s.ARN, RecoveryWindowInDays: RECOVERY_DAYS })),
                  'ResourceNotFoundException',
                )),
            }
          : { resource, keep: 'secret values', monthly: SECRET_MONTH },
      );
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return items;
}
