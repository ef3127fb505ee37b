import { defineConfig } from 'vitest/config';

const shared = {
  testTimeout: 60_000,
  hookTimeout: 180_000,
  pool: 'forks' as const,
  globalSetup: ['test/setup/build.ts'],
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: ['test/kafka/**'],
          sequence: { groupOrder: 0 },
        },
      },
      // The Kafka tests run after the rest, alone: a broker, consumer processes and rebalances on
      // two cores do not share them well with other test files.
      { test: { ...shared, name: 'kafka', include: ['test/kafka/**/*.test.ts'], sequence: { groupOrder: 1 } } },
    ],
  },
});
