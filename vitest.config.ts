import { defineConfig } from 'vitest/config';

/**
 * Integration files that must have the machine (2 cores) and the shared stack to themselves: they
 * restart, stop or freeze a broker or another stack component, SIGKILL workers on a schedule,
 * measure timings, or run the whole demo. (The security test's broker of its own and the fuzz tests'
 * prefixed topics share nothing, so those run in the first group.)
 */
const EXCLUSIVE = [
  'test/demo/**/*.it.test.ts',
  'test/bench/**/*.it.test.ts',
  'test/reliability/**/*.it.test.ts',
  'test/streams/crash-safety.it.test.ts',
  'test/processors/failure-detector/failure-detection.it.test.ts',
];

// Three projects in two groups. Group 0: unit tests (pure logic) beside the integration tests that
// only create their own uniquely named topics, groups and loopback processes, two files at a time.
// Group 1, after it: the exclusive integration files above, one at a time. The integration
// projects' global setup starts the local stack unless KAFKA_BROKERS points elsewhere.
const integration = {
  globalSetup: ['test/support/global-setup.ts'],
  testTimeout: 180_000,
  hookTimeout: 240_000,
};

export default defineConfig({
  test: {
    reporters: ['default'],
    // Tests keep the processes' info logs out of the report; failures still show warnings.
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.it.test.ts', 'node_modules/**'],
          testTimeout: 20_000,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.it.test.ts'],
          exclude: [...EXCLUSIVE, 'node_modules/**'],
          ...integration,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'exclusive',
          include: EXCLUSIVE,
          ...integration,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
