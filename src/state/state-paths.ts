import { join } from 'node:path';

/** The wizard's own directory, next to deploy-wizard.json. Never part of a build context. */
export const STATE_DIR = '.deploy-wizard';

export function statePaths(root: string, env: string) {
  const dir = join(root, STATE_DIR);
  return {
    dir,
    file: join(dir, `${env}.state.json`),
    bak: join(dir, `${env}.state.json.bak`),
    lock: join(dir, `${env}.lock`),
    digests: join(dir, `${env}.context-digests.json`),
  };
}
