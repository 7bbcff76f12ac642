import { describe, expect, it } from 'vitest'
import { TargetSchema } from '../schema/target.ts'
import { displayOf, renderText, resolveValue, type RefScope, issuerVariant } from './refs.ts'
import { resolveTarget } from './resolve.ts'

const target = TargetSchema.parse({
  name: 't',
  issuer: 'http://127.0.0.1:9',
  clients: { primary: { clientId: 'c1', authMethod: 'client_secret_basic', clientSecret: { env: 'S' } } },
  scopes: { valid: ['read', 'write'] },
})
const resolved = resolveTarget(target, () => 's3cret', 't')
const scope: RefScope = { resolved, issuer: 'http://127.0.0.1:9', endpoints: { token: 'http://127.0.0.1:9/token' }, client: resolved.clients.primary, nowSec: 1000, random: 'r1' }

describe('resolving references against a target', () => {
  it('keeps the type of a whole-value reference, and writes text otherwise', () => {
    expect(resolveValue('${scopes.valid}', scope)).toEqual({ value: ['read', 'write'] })
    expect(resolveValue('${now+8}', scope)).toEqual({ value: 1008 })
    expect(resolveValue(['${issuer}', { x: '${now}' }, 3, null], scope)).toEqual({ value: ['http://127.0.0.1:9', { x: 1000 }, 3, null] })
    expect(resolveValue('scopes: ${scopes.valid}', scope)).toEqual({ value: 'scopes: read write' })
  })

  it('keeps secrets apart, for display and curl', () => {
    const t = renderText('id=${client.id}&secret=${client.secret}', scope)
    if ('missing' in t) throw new Error(t.missing)
    expect(t.value).toBe('id=c1&secret=s3cret')
    expect(displayOf(t)).toBe('id=c1&secret=$S')
  })

  it('says what the target lacks', () => {
    expect(resolveValue('${scopes.restricted}', scope)).toEqual({ missing: 'the target names no restricted scope (scopes.restricted)' })
    expect(resolveValue('${scopes.valid[2]}', scope)).toEqual({ missing: 'the target lists only 2 valid scopes (scopes.valid[2] is needed)' })
    expect(resolveValue('${clients.jwt.id}', scope)).toEqual({ missing: 'the target has no "jwt" client' })
    expect(resolveValue('${endpoints.revocation}', scope)).toEqual({ missing: 'the target has no revocation endpoint (RFC 7009)' })
    expect(resolveValue('${metadata.issuer}', scope)).toEqual({ missing: 'no authorization server metadata was discovered' })
  })
})

describe('the issuer spelled another way', () => {
  it.each<[string, 'slash' | 'upper' | 'port', string]>([
    ['https://as.example.com', 'slash', 'https://as.example.com/'],
    ['https://as.example.com/tenant/', 'slash', 'https://as.example.com/tenant'],
    ['https://as.example.com/Tenant', 'upper', 'HTTPS://AS.EXAMPLE.COM/Tenant'],
    ['https://as.example.com/tenant', 'port', 'https://as.example.com:443/tenant'],
    ['http://localhost', 'port', 'http://localhost:80'],
  ])('%s, %s: %s', (issuer, variant, spelled) => {
    expect(issuerVariant(issuer, variant)).toEqual({ value: spelled })
  })

  it('has no default-port spelling for an issuer that names its port', () => {
    expect(issuerVariant('http://127.0.0.1:8080', 'port')).toEqual({ missing: 'the issuer http://127.0.0.1:8080 already names its port' })
  })
})
