import type { TestProject } from 'vitest/node';
// @ts-expect-error plain JS module shared with the demo script
import { startStandins } from '../../scripts/standins.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    standins: { env: Record<string, string>; logs: Record<string, string>; dir: string };
  }
}

/** Starts moto, the registry and podman's API once for the whole run; stops them by pid. */
export default async function setup(project: TestProject) {
  const s = await startStandins();
  project.provide('standins', { env: s.env, logs: s.logs, dir: s.dir });
  return async () => {
    await s.stop();
  };
}
