/**
 * The reproducing curl lines, expanded by a real bash with the secret in the environment, must
 * send what the engine sent. `curl` is replaced by a shell function that prints its arguments.
 */
import { execFileSync } from 'node:child_process'
import { generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import { RequestSchema, type RequestInput } from '../../schema/request.ts'
import { TargetSchema } from '../../schema/target.ts'
import { resolveTarget } from '../resolve.ts'
import { buildRequest, type PreparedRequest } from './build.ts'

const unregisteredKey = async (alg: string) => (await generateKeyPair(alg)).privateKey
const SECRET = `sp3cial +%&:=/?#"'~!$(id)\`x\`\\`
const target = TargetSchema.parse({
  name: 't',
  tokenEndpoint: 'http://127.0.0.1:9/token',
  clients: { primary: { clientId: 'id with space', authMethod: 'client_secret_basic', clientSecret: { env: 'MY_SECRET' } } },
  scopes: { valid: ['read', 'write'] },
})
const resolved = resolveTarget(target, () => SECRET, 't')

function expand(curl: string): string[] {
  const out = execFileSync('bash', ['-c', `curl() { printf '%s\\0' "$@"; }; ${curl}`], {
    env: { PATH: process.env.PATH, MY_SECRET: SECRET },
    encoding: 'utf8',
  })
  return out.split('\0').slice(0, -1)
}

async function prepared(request: RequestInput): Promise<PreparedRequest> {
  const p = await buildRequest(RequestSchema.parse(request), {
    scope: { resolved, endpoints: { token: target.tokenEndpoint! }, nowSec: 0, random: 'r' },
    client: resolved.clients.primary!,
    unregisteredKey,
    randomId: () => 'r',
  })
  if ('skip' in p) throw new Error(p.skip)
  return p
}

const after = (args: string[], flag: string) => args.filter((_, i) => args[i - 1] === flag)
const sentHeader = (p: PreparedRequest, name: string) => `${name}: ${p.outgoing.headers.find(([k]) => k === name)![1]}`

describe('reproducing curl lines', () => {
  it('rebuild the form-urlencoded Basic header (RFC6749-2.3.1), and the raw one', async () => {
    for (const request of [{}, { auth: { method: 'basic', encoding: 'raw' } }] as RequestInput[]) {
      const p = await prepared(request)
      expect(after(expand(p.curl), '-H')).toContain(sentHeader(p, 'Authorization'))
    }
  })

  it('send a body secret through --data-urlencode, the other parameters around it in order', async () => {
    const p = await prepared({ auth: 'body', params: { set: { extra: 'x y' }, order: ['grant_type', 'client_secret', 'extra'] } })
    const args = expand(p.curl)
    expect(after(args, '--data-urlencode')).toEqual([`client_secret=${SECRET}`])
    // curl joins the data arguments with '&' in their order, encoding only --data-urlencode's value.
    const entries = args.flatMap((a, i) => {
      if (args[i - 1] === '--data-raw') return [...new URLSearchParams(a)]
      if (args[i - 1] === '--data-urlencode') return [[a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]]
      return []
    })
    expect(entries).toEqual([...new URLSearchParams(p.outgoing.body)])
  })

  it('splice the secret into a JSON body', async () => {
    const p = await prepared({ auth: 'body', body: { encoding: 'json' } })
    expect(after(expand(p.curl), '--data-raw')).toEqual([p.outgoing.body])
  })

  it('splice the secret into a raw body and into a header, around literal text', async () => {
    const p = await prepared({ auth: 'none', body: { encoding: 'raw', raw: 'a=1&s=${client.secret}&b=2' }, headers: { set: { 'X-Secret': "it's ${client.secret}!" } } })
    const args = expand(p.curl)
    expect(after(args, '--data-raw')).toEqual([p.outgoing.body])
    expect(after(args, '-H')).toContain(sentHeader(p, 'X-Secret'))
  })

  it('rebuild a URL carrying the secret in its query', async () => {
    const p = await prepared({ auth: 'query' })
    expect(expand(p.curl)).toContain(p.outgoing.url)
  })

  it('name a method curl would not infer', async () => {
    const put = expand((await prepared({ method: 'PUT' })).curl)
    expect(put[put.indexOf('-X') + 1]).toBe('PUT')
    const emptyPost = expand((await prepared({ auth: 'none', params: { remove: ['grant_type', 'scope'] } })).curl)
    expect(emptyPost[emptyPost.indexOf('-X') + 1]).toBe('POST')
  })
})
