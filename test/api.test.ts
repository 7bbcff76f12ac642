/**
 * The programmatic API's contract at its edges (examples/api.test.ts is the worked example): what
 * it refuses before sending anything, and what its objects let a caller see.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadSuites, loadTarget, run, startReferenceServer, type LoadedTarget, type ReferenceServer } from '../src/api.ts'

describe('the programmatic API', () => {
  let server: ReferenceServer
  beforeAll(async () => {
    server = await startReferenceServer()
  })
  afterAll(() => server?.close())

  it('hands out targets and suites that show their names, not the engine inside', () => {
    expect(Object.keys(server.target).sort()).toEqual(['issuer', 'name'])
    expect(server.target).toEqual({ name: 'reference', issuer: server.url })
    expect(Object.isFrozen(server.target)).toBe(true)
    const [scope] = loadSuites(['scope'])
    expect(scope).toMatchObject({ id: 'scope', cases: expect.arrayContaining(['scope-unknown']) })
    expect(JSON.stringify(server.target)).not.toMatch(/secret/i)
  })

  it('refuses objects it did not make, and two targets of one name, before sending anything', async () => {
    const forged: LoadedTarget = { name: 'reference', issuer: server.url }
    await expect(run({ targets: [forged], suites: loadSuites(['scope']) })).rejects.toThrow(/not a loaded target: make it with loadTarget\(\)/)
    await expect(run({ targets: [server.target, server.target], suites: loadSuites(['scope']) })).rejects.toThrow(/two targets are named "reference"/)
  })

  it('reads secrets from the env it is given, and names a missing one', () => {
    const target = {
      name: 't',
      issuer: server.url,
      clients: { primary: { clientId: 'grantcheck-primary', authMethod: 'client_secret_basic', clientSecret: { env: 'API_TEST_SECRET' } } },
      scopes: { valid: ['read'] },
    }
    expect(loadTarget(target, { env: { API_TEST_SECRET: 'primary-secret-7Hq2xW9vLm4K' } }).name).toBe('t')
    expect(() => loadTarget(target, { env: {} })).toThrow(/API_TEST_SECRET/)
  })
})
