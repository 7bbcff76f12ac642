/**
 * No output of a run holds a client secret, a private key parameter, a client assertion or an
 * issued token, in any of the forms they travel in. Every byte written (report files, stdout,
 * stderr) is scanned, for a normal run, a run where the server misbehaves, and a hostile server
 * that echoes the credentials it receives.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReferenceServer } from '../src/reference-server/app.ts'
import { FIXTURE_SECRETS } from '../src/reference-server/clients.ts'
import { createHostileServer } from '../fixtures/hostile/app.ts'
import { listen, type RunningServer } from '../fixtures/serve.ts'
import { main, type Io } from '../src/cli/main.ts'
import { leaksIn, secretForms } from './_leaks.ts'
import { ROOT } from './_run.ts'

const jwk = JSON.parse(readFileSync(join(ROOT, 'src/reference-server/keys/jwt-client.private.jwk.json'), 'utf8')) as Record<string, string>
const ENV = {
  T_PRIMARY: FIXTURE_SECRETS.primary,
  T_POST: FIXTURE_SECRETS.post,
  T_SPECIAL: FIXTURE_SECRETS.special,
  T_SECRET_JWT: FIXTURE_SECRETS.secretJwt,
  T_JWT_KEY: JSON.stringify(jwk),
}

const seen = new Set<string>()
const servers: RunningServer[] = []
const dir = mkdtempSync(join(tmpdir(), 'grantcheck-secrets-'))
const outputs: string[] = []

function targetFor(issuer: string, name: string, limits?: Record<string, number>): string {
  const file = join(dir, `${name}.json`)
  const secret = (env: string) => ({ env })
  writeFileSync(
    file,
    JSON.stringify({
      name,
      issuer,
      ...(limits ? { limits } : {}),
      clients: {
        primary: { clientId: 'grantcheck-primary', authMethod: 'client_secret_basic', clientSecret: secret('T_PRIMARY') },
        post: { clientId: 'grantcheck-post', authMethod: 'client_secret_post', clientSecret: secret('T_POST') },
        special: { clientId: 'grantcheck-special', authMethod: 'client_secret_basic', clientSecret: secret('T_SPECIAL') },
        jwt: { clientId: 'grantcheck-jwt', authMethod: 'private_key_jwt', privateJwk: secret('T_JWT_KEY') },
        secretJwt: { clientId: 'grantcheck-secret-jwt', authMethod: 'client_secret_jwt', clientSecret: secret('T_SECRET_JWT') },
      },
      scopes: { valid: ['read', 'write'] },
    }),
  )
  return file
}

// A user suite that exercises the JWT client methods, whose assertions must be redacted too.
const jwtSuite = join(dir, 'jwt-clients.yaml')
writeFileSync(
  jwtSuite,
  `version: 2
id: jwt-clients
title: JWT client authentication
cases:
  - id: private-key-jwt
    title: private_key_jwt yields a token
    requirements: [RFC7523-2.2]
    level: MUST
    request: { client: jwt }
    expect: [{ check: token-response.has-access-token }]
  - id: client-secret-jwt
    title: client_secret_jwt yields a token
    requirements: [RFC7523-2.2]
    level: MUST
    request: { client: secretJwt }
    expect: [{ check: token-response.has-access-token }]
`,
)

async function runCli(target: string, out: string): Promise<number> {
  const lines: string[] = []
  const io: Io = { out: (l) => lines.push(l), err: (l) => lines.push(l), progress: (t) => lines.push(t), env: ENV, color: false }
  const code = await main(['run', '--target', target, '--suite', jwtSuite, ...builtinSuiteArgs(), '--out', out], io)
  outputs.push(lines.join('\n'))
  return code
}

function builtinSuiteArgs(): string[] {
  return readdirSync(join(ROOT, 'suites'))
    .filter((f) => f.endsWith('.yaml') && !f.startsWith('_'))
    .flatMap((f) => ['--suite', f.replace(/\.yaml$/, '')])
}

beforeAll(async () => {
  for (const defects of [[], ['issues-refresh-token', 'error-text-plain', 'opaque-tokens']]) {
    const app = await createReferenceServer({ defects, onSecret: (v) => seen.add(v) })
    const s = await listen(app.fetch)
    servers.push(s)
    expect(await runCli(targetFor(s.url, `reference-${defects.length}`), join(dir, 'out'))).toBeLessThan(2)
  }
  // A hostile server: echoes the Authorization header and the body back, in a 200 and an error.
  const echo = new Hono()
  echo.get('/.well-known/oauth-authorization-server', (c) => {
    const issuer = new URL(c.req.url).origin
    return c.json({ issuer, token_endpoint: `${issuer}/token` })
  })
  echo.post('/token', async (c) => {
    const body = await c.req.text()
    const auth = c.req.header('authorization') ?? ''
    const fake = `echo.${btoa(auth)}.${btoa(body)}`
    return body.includes('scope=read')
      ? c.json({ access_token: fake, token_type: 'Bearer', debug: { auth, body } })
      : c.json({ error: 'invalid_request', error_description: `got ${auth} ${body}` }, 400)
  })
  const s = await listen(echo.fetch)
  servers.push(s)
  await runCli(targetFor(s.url, 'echo'), join(dir, 'out'))
  // The hostile corpus too: whatever a broken server sends, no secret may come out of it.
  const hostile = await listen(createHostileServer().fetch as (r: Request) => Promise<Response>)
  servers.push(hostile)
  for (const route of ['not-json', 'jwt-huge-header', 'rate-limited-text', 'connection-reset', 'invalid-utf8', 'redirect-other-host', 'jwks-garbage']) {
    await runCli(targetFor(`${hostile.url}/r/${route}`, `hostile-${route}`, { timeoutMs: 800, runDeadlineMs: 5000, maxRetries: 0 }), join(dir, 'out'))
  }
}, 120_000)

afterAll(async () => {
  for (const s of servers) await s.close()
})

function writtenFiles(d: string): string[] {
  return readdirSync(d).flatMap((f) => {
    const p = join(d, f)
    return statSync(p).isDirectory() ? writtenFiles(p) : [p]
  })
}

describe('secrets never reach an output', () => {
  it('the runs issued tokens and used assertions, so there was something to leak', () => {
    expect(seen.size).toBeGreaterThan(20)
    expect(writtenFiles(join(dir, 'out')).filter((f) => f.endsWith('report.json'))).toHaveLength(10)
  })

  it('no client secret, private key parameter, assertion or token appears in any file or console line', () => {
    const corpus = [...writtenFiles(join(dir, 'out')).map((f) => readFileSync(f, 'utf8')), ...outputs]
    console.log(`leak scan: ${corpus.reduce((n, t) => n + Buffer.byteLength(t), 0)} bytes in ${corpus.length} files and console streams`)
    const secrets: Array<[string, string]> = [
      ...Object.entries(ENV).filter(([k]) => k !== 'T_JWT_KEY'),
      ...['d', 'p', 'q', 'dp', 'dq', 'qi'].map((p): [string, string] => [`jwk.${p}`, jwk[p]!]),
      ...[...seen].map((t): [string, string] => ['issued token or assertion', t]),
      // A JWT's signature is what makes it usable: it must not appear on its own either.
      ...[...seen].filter((t) => t.split('.').length === 3).map((t): [string, string] => ['JWT signature', t.split('.')[2]!]),
      ['Basic credentials', `grantcheck-primary:${FIXTURE_SECRETS.primary}`],
    ]
    expect(leaksIn(corpus, secrets)).toEqual([])
  })

  it('the scan finds each form it looks for, Base64url included', () => {
    // A secret whose Base64 has + and /, so that its Base64url form differs.
    const secret = 'k?>~k?>~k?>~'
    for (const form of secretForms(secret)) expect(leaksIn([`… ${form} …`], [['planted', secret]]), form).not.toEqual([])
    expect(secretForms(secret)).toContain('az8-fms_Pn5rPz5-')
  })
})
