import type { Config } from '../config/schema.js';

export interface MissingSecret {
  key: string;
  prompt: string;
}

/**
 * Values for the `prompt` secrets, from environment variables of the same
 * name. A required key is missing only when it is neither in the environment
 * nor already stored in the app secret (the state lists stored key names).
 */
export function collectSecretInputs(config: Config, env: Readonly<Record<string, string | undefined>>, storedKeys: readonly string[]) {
  const values: Record<string, string> = {};
  const missing: MissingSecret[] = [];
  for (const [key, spec] of Object.entries(config.secrets)) {
    if (!('prompt' in spec)) continue;
    const v = env[key];
    if (v !== undefined && v !== '') values[key] = v;
    else if (!spec.optional && !storedKeys.includes(key)) missing.push({ key, prompt: spec.prompt });
  }
  return { values, missing };
}

export function missingSecretProblems(missing: MissingSecret[]): string[] {
  return missing.map((m) => `secrets.${m.key} (${m.prompt}): set the environment variable ${m.key}, or run deploy-wizard secrets set ${m.key}`);
}
