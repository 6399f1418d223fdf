import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most end-to-end files wait on their stack's processes, not on this one: two files at a time
    // keep both cores busy (vitest's default on a 2-core machine is one).
    maxWorkers: 2,
    setupFiles: ['test/setup.ts'],
  },
});
