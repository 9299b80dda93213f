import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The little of git the image tag needs. Absent git or a non-repo gives undefined. */
export interface Git {
  head(dir: string): Promise<string | undefined>;
  isDirty(dir: string): Promise<boolean>;
}

export const systemGit: Git = {
  async head(dir) {
    try {
      return (await run('git', ['rev-parse', 'HEAD'], { cwd: dir })).stdout.trim() || undefined;
    } catch {
      return undefined;
    }
  },
  async isDirty(dir) {
    try {
      return (await run('git', ['status', '--porcelain', '--', '.'], { cwd: dir })).stdout.trim().length > 0;
    } catch {
      return true;
    }
  },
};
