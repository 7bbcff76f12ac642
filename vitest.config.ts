import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  // The examples import the package by its name, as its users do: its built entry (npm run build).
  resolve: { alias: [{ find: /^grantcheck$/, replacement: fileURLToPath(new URL('./dist/api.mjs', import.meta.url)) }] },
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'fixtures/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    exclude: ['**/_*', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/_summary-reporter.ts'],
  },
})
