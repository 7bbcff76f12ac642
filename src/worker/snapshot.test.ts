import { describe, expect, it } from 'vitest'
import { makeCertificate } from '../node/certificates.ts'
import { keyWarnings, snapshotChanges } from './pages.tsx'
import { canonical, certificateNotAfter } from './snapshot.ts'

/** A self-signed certificate, as base64 DER (a JWK's x5c entry), and its notAfter. */
async function certificate(days: number): Promise<{ der: string; notAfter: string }> {
  const c = await makeCertificate({ subject: [['CN', 'signing']], validDays: days })
  return { der: Buffer.from(c.der).toString('base64'), notAfter: c.notAfter }
}

describe('metadata and key snapshots', () => {
  it('read the notAfter of an x5c certificate, and nothing from anything else', async () => {
    const c = await certificate(10)
    expect(certificateNotAfter(c.der)).toBe(c.notAfter)
    expect(certificateNotAfter('bm90IGEgY2VydA')).toBeUndefined()
    expect(certificateNotAfter('%%%')).toBeUndefined()
  })

  it('warn about a signing key whose certificate expires within 30 days, or has expired', () => {
    const now = Date.parse('2026-12-01T00:00:00Z')
    const keys = [{ kid: 'soon', notAfter: '2026-12-11T00:00:00Z' }, { kid: 'gone', notAfter: '2026-11-01T00:00:00Z' }, { kid: 'fine', notAfter: '2027-06-01T00:00:00Z' }, { kid: 'no-x5c' }]
    expect(keyWarnings({ endpoints: {}, keys }, now)).toEqual([
      'The certificate of key soon expires on 2026-12-11T00:00:00Z (in 10 days).',
      'The certificate of key gone expired on 2026-11-01T00:00:00Z.',
    ])
  })

  it('say what changed between runs: endpoints, grant types, keys added and removed', () => {
    const snap = (at: string, m: string, j: string, endpoints: Record<string, string>, kids: string[]) => ({
      runId: at,
      at,
      metadataHash: m,
      jwksHash: j,
      summary: { endpoints, keys: kids.map((kid) => ({ kid })) },
    })
    const changes = snapshotChanges([
      snap('3', 'm2', 'j2', { token_endpoint: 'https://as/v2/token' }, ['k2', 'k3']),
      snap('2', 'm1', 'j1', { token_endpoint: 'https://as/token' }, ['k1', 'k2']),
      snap('1', 'm1', 'j1', { token_endpoint: 'https://as/token' }, ['k1', 'k2']),
    ])
    expect(changes).toEqual([{ at: '3', what: 'token_endpoint: https://as/token → https://as/v2/token; keys: +k3 −k1' }])
  })

  it('hash documents by content, not by the order of their members', () => {
    expect(canonical({ b: 1, a: [{ y: 2, x: 1 }] })).toBe(canonical({ a: [{ x: 1, y: 2 }], b: 1 }))
    expect(canonical({ a: [1, 2] })).not.toBe(canonical({ a: [2, 1] }))
  })
})
