import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests of pure logic, and integration tests against the real stack
// (Kafka, schema registry, Connect and the programs the actuators drive). The integration
// project's global setup starts the local stack unless KAFKA_BROKERS points elsewhere.
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
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.it.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
          // Integration files share one broker and two cores: run them one file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
