import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'fixtures/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/_*', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/_summary-reporter.ts'],
  },
})
