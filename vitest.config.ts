import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    // Most files wait on processes, containers, servers and timers, not on the CPU: vitest's default (cores - 1) runs
    // them one at a time on 2 cores (the suite 16.6 min); 3 at once there took 6.5 min, every test passing.
    maxWorkers: Math.max(3, os.availableParallelism() - 1),
  },
});
