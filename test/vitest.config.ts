import { defineConfig } from 'vitest/config';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');

export default defineConfig({
  root,
  test: {
    // Real servers and ports in the integration tier: one file at a time keeps port use and
    // CPU predictable on a 2-core machine.
    fileParallelism: false,
    setupFiles: ['test/support/no-leaks.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/sim/**/*.test.ts'],
          environment: 'node',
          // Fuzz and simulation files do real work; a slow machine must not turn them red.
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/interop/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
