import { parseConfig } from '../../src/config/load-config.js';
import { InputError } from '../../src/errors.js';

/** The problems parseConfig names for a minimal app with these top-level keys, one per line; '' when it parses. */
export function configProblems(keys: Record<string, unknown>): string {
  try {
    parseConfig(JSON.stringify({ app: 'shop', region: 'us-east-1', image: {}, service: { port: 8080 }, ...keys }), 'test', 'prod');
    return '';
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return e.problems.join('\n');
  }
}
