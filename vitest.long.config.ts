import { defineConfig } from 'vitest/config';

// The long suite (`npm run test:long`, also run by .ci/run): SIGKILL crash harness, seeded
// fuzzing, and real MCP servers fetched from the npm registry.
export default defineConfig({
  test: {
    include: ['src/**/*.long.test.ts'],
    globalSetup: ['./src/test-helpers/global-setup.ts'],
    testTimeout: 900_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
