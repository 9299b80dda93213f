import { Redactor } from '../logger.js';
import { getSecretObject } from '../secrets/store.js';
import { appSecretName } from '../aws/names.js';
import { errorName, isError } from '../aws/not-found.js';
import { WizardError } from '../errors.js';
import type { Session } from '../session.js';

/** Every value of the app secret, so a line that prints one shows **** instead. */
export async function appSecretRedactor(session: Pick<Session, 'aws' | 'loaded'>, env: string, noRedact: boolean, command: string): Promise<Redactor> {
  const r = new Redactor();
  const name = appSecretName({ app: session.loaded.config.app, env });
  try {
    for (const value of Object.values(await getSecretObject(session.aws.secrets, name, 'app secret'))) {
      r.add(value);
      // A URL's password alone is as secret as the URL.
      try {
        r.add(decodeURIComponent(new URL(value).password));
      } catch {
        /* not a URL */
      }
    }
  } catch (e) {
    // No secret yet: nothing to redact. Any other failure (AccessDenied, throttling) leaves its values unknown,
    // and a line could print one in the clear: refuse unless told otherwise.
    if (!isError(e, 'ResourceNotFoundException') && !noRedact)
      throw new WizardError(
        `${command}: the app secret ${name} cannot be read (${errorName(e) || (e as Error).message}), so secret values in the lines could not be hidden`,
        {
          hint: 'Run with credentials that may read it (secretsmanager:GetSecretValue), or add --no-redact to print the lines as they are.',
        },
      );
  }
  return r;
}
