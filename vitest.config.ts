import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/worker-env.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: integration tests spawn CLIs, builds and pushes.
    maxWorkers: 2,
  },
});
