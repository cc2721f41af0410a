import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 300_000,
    // Integration suites share one machine's dockerd and test hosts: run files one at a time.
    fileParallelism: false,
  },
})
