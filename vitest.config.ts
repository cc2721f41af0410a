import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          // Pure logic and local processes (sshd on loopback, temp folders): files run in parallel.
          name: 'unit',
          include: ['src/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          // Command tests and integration suites on real test hosts share one machine's dockerd and test hosts:
          // one file at a time, and nothing may be left behind at the end (test/leftovers.global.ts).
          name: 'integration',
          include: ['test/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          globalSetup: ['test/leftovers.global.ts'],
        },
      },
    ],
  },
})
