// Prepares `npm run dev:worker` without putting anything on its command line: writes .dev.vars
// (the API token `dev-token` and the reference clients' secrets, which wrangler dev reads as
// Worker secrets) and stores the reference target, pointed at the reference server of
// `npm run fixture` (http://127.0.0.1:4455), in the local D1 database, every secret as an
// { "env": "VAR" } reference: the same shape as a deployed target. Run again at will: the
// migrations are applied once, and the target is replaced.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'

const root = new URL('../', import.meta.url)
const target = JSON.parse(readFileSync(new URL('src/reference-server/reference-target.json', root), 'utf8'))
delete target.$schema
const vars = { API_TOKEN: 'dev-token' }
for (const [role, client] of Object.entries(target.clients)) {
  const field = client.authMethod === 'private_key_jwt' ? 'privateJwk' : 'clientSecret'
  const name = `REF_${role.toUpperCase()}_SECRET`
  vars[name] = client[field]
  client[field] = { env: name }
}
target.monitor = { everyMinutes: 60 }

// .dev.vars is dotenv, which unescapes nothing but \n in double quotes: each value goes in quotes
// it does not contain (single, else backticks), as it is.
const quote = (v) => {
  const q = ["'", '`', '"'].find((c) => !v.includes(c))
  if (!q || v.includes('\n')) throw new Error('dev-targets: a secret that .dev.vars cannot hold')
  return `${q}${v}${q}`
}
writeFileSync(
  new URL('.dev.vars', root),
  `# Written by scripts/dev-targets.mjs for npm run dev:worker (local only, ignored by git).\n${Object.entries(vars)
    .map(([k, v]) => `${k}=${quote(v)}`)
    .join('\n')}\n`,
  { mode: 0o600 },
)

// The SQL goes through a file, not the command line.
const sqlString = (s) => `'${s.replace(/'/g, "''")}'`
mkdirSync(new URL('.wrangler/', root), { recursive: true })
const sqlFile = new URL('.wrangler/dev-targets.sql', root)
writeFileSync(
  sqlFile,
  `INSERT INTO targets (name, body, updated_at) VALUES (${sqlString(target.name)}, ${sqlString(JSON.stringify(target))}, ${sqlString(new Date().toISOString())})\n` +
    `  ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at;\n`,
)

const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' }
for (const args of [
  ['d1', 'migrations', 'apply', 'grantcheck', '--local'],
  ['d1', 'execute', 'grantcheck', '--local', '--file', sqlFile.pathname],
]) {
  const r = spawnSync('npx', ['wrangler', ...args], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] })
  if (r.status !== 0) {
    process.stderr.write(`dev-targets: wrangler ${args.join(' ')} failed (exit ${r.status})\n`)
    process.exit(1)
  }
}
process.stdout.write(`dev-targets: wrote .dev.vars (API token dev-token) and stored the target "${target.name}" in the local D1 database\n`)
