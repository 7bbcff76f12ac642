// Prints the GRANTCHECK_TARGETS value for `npm run dev:worker`: the reference target, pointed at
// the reference server of `npm run fixture` (http://127.0.0.1:4455).
import { readFileSync } from 'node:fs'

const target = JSON.parse(readFileSync(new URL('../src/reference-server/reference-target.json', import.meta.url), 'utf8'))
delete target.$schema
process.stdout.write(JSON.stringify([target]))
