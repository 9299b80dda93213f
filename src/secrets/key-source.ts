import type { Config } from '../config/schema.js';
import { derivedKeys } from './derived-keys.js';

export type KeySource = 'generated' | 'asked' | 'derived' | 'other';

/** Where a key of the app secret comes from, for `secrets list`. */
export function keySource(config: Config, key: string): KeySource {
  const spec = config.secrets[key];
  if (spec) return 'generate' in spec ? 'generated' : 'asked';
  return derivedKeys(config).includes(key) ? 'derived' : 'other';
}
