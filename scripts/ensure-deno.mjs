// Installs the pinned Deno (the npm package "deno") when it is missing. It is not in
// package-lock.json because the registry this project uses serves only the Linux x64 binary
// package, which leaves the lock incomplete for `npm ci`; so `npm test` fetches it instead. Its
// postinstall script downloads nothing (it puts the platform package's binary in place); npm 11 runs it
// only because package.json's allowScripts names deno@2.9.6.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const DENO_VERSION = '2.9.6'
if (!existsSync('node_modules/.bin/deno')) {
  console.log(`installing deno@${DENO_VERSION} (npm, not saved) for the Deno runtime test`)
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', `deno@${DENO_VERSION}`], { stdio: 'inherit' })
}
