/**
 * The reproducing curl lines, expanded by a real bash with the secret in the environment, must
 * send what the engine sent. `curl` is replaced by a shell function that prints its arguments.
 */
import { execFileSync } from 'node:child_process'
import { generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'

const unregisteredKey = async (alg: string) => (await generateKeyPair(alg)).privateKey
import { buildRequest, type PreparedRequest } from '../core/request.ts'
import { resolveTarget } from '../core/resolve.ts'
import { TargetSchema } from '../schema/target.ts'

const SECRET = `sp3cial +%&:=/?#"'~!$(id)\`x\``
const target = TargetSchema.parse({
  name: 't',
  tokenEndpoint: 'http://127.0.0.1:9/token',
  clients: { primary: { clientId: 'id with space', authMethod: 'client_secret_basic', clientSecret: { env: 'MY_SECRET' } } },
  scopes: { valid: ['read'] },
})
const resolved = resolveTarget(target, () => SECRET, 't')

function expand(curl: string): string[] {
  const out = execFileSync('bash', ['-c', `curl() { printf '%s\\0' "$@"; }; ${curl}`], {
    env: { PATH: process.env.PATH, MY_SECRET: SECRET },
    encoding: 'utf8',
  })
  return out.split('\0').slice(0, -1)
}

async function prepared(mutate: Parameters<typeof buildRequest>[0]['mutate']): Promise<PreparedRequest> {
  const p = await buildRequest({ target, endpoint: target.tokenEndpoint!, tokenEndpoint: target.tokenEndpoint!, client: resolved.clients.primary!, mutate, nowMs: 0, randomId: () => 'r', unregisteredKey })
  if ('skip' in p) throw new Error(p.skip)
  return p
}

const after = (args: string[], flag: string) => args.filter((_, i) => args[i - 1] === flag)

describe('reproducing curl lines', () => {
  it('rebuild the form-urlencoded Basic header (RFC6749-2.3.1)', async () => {
    const p = await prepared(undefined)
    const args = expand(p.curl)
    const auth = after(args, '-H').find((h) => h.startsWith('Authorization: '))
    expect(auth).toBe(`Authorization: ${p.outgoing.headers.find(([k]) => k === 'Authorization')![1]}`)
  })

  it('send a body secret through --data-urlencode', async () => {
    const p = await prepared({ auth: 'post' })
    const args = expand(p.curl)
    expect(after(args, '--data-urlencode')).toEqual([`client_secret=${SECRET}`])
  })

  it('splice the secret into a JSON body', async () => {
    const p = await prepared({ auth: 'post', body: 'json' })
    expect(after(expand(p.curl), '--data-raw')).toEqual([p.outgoing.body])
  })

  it('rebuild a URL carrying the secret in its query', async () => {
    const p = await prepared({ auth: 'query' })
    expect(expand(p.curl)).toContain(p.outgoing.url)
  })
})
