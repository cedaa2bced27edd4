import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Crash harness, fuzzing and npm-registry servers: `npm run test:long` (vitest.long.config.ts).
    exclude: ['src/**/*.long.test.ts', 'node_modules/**'],
    globalSetup: ['./src/test-helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
