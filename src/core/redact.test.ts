import { describe, expect, it } from 'vitest'
import { Redactor } from './redact.ts'

describe('Redactor', () => {
  const secret = 'p@ss word+/=é'
  const r = new Redactor()
  r.add(secret, 'primary client secret')
  r.addJwk({ kty: 'RSA', n: 'public-modulus', d: 'private-exponent-value' }, 'jwt')

  it('scrubs the raw, JSON, percent, form, Base64 and Base64url forms', () => {
    const bytes = new TextEncoder().encode(secret)
    const b64 = btoa(String.fromCharCode(...bytes))
    const forms = [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), new URLSearchParams([['', secret]]).toString().slice(1), b64, b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')]
    for (const f of forms) expect(r.scrub(`before ${f} after`)).toBe('before [redacted primary client secret] after')
  })

  it('scrubs private JWK parameters but not public ones', () => {
    expect(r.scrub('d=private-exponent-value n=public-modulus')).toBe('d=[redacted jwt d] n=public-modulus')
  })

  it('scrubs deeply, keys included', () => {
    expect(r.scrubDeep({ a: [secret], [secret]: 1 })).toEqual({ a: ['[redacted primary client secret]'], '[redacted primary client secret]': 1 })
  })

  it('copies only what it redacts: clean parts are shared, the input is never changed', () => {
    const clean = { status: 200, headers: { 'content-type': 'application/json' }, list: ['a', 'b'] }
    const input = { clean, dirty: { body: `secret=${secret}`, n: 1 }, items: [clean, `x ${secret}`] }
    const out = r.scrubDeep(input)
    expect(out.clean).toBe(clean)
    expect(out.items[0]).toBe(clean)
    expect(out.dirty).toEqual({ body: 'secret=[redacted primary client secret]', n: 1 })
    expect(out.items[1]).toBe('x [redacted primary client secret]')
    expect(input.dirty.body).toBe(`secret=${secret}`)
    expect(input.items[1]).toBe(`x ${secret}`)
    expect(r.scrubDeep(clean)).toBe(clean)
  })

  it('skips texts shorter than every secret form, but not one that is exactly a form', () => {
    const only = new Redactor()
    only.add('exactly-this-long-secret', 'client secret')
    expect(only.scrub('exactly-this-long-secre')).toBe('exactly-this-long-secre')
    expect(only.scrub('exactly-this-long-secret')).toBe('[redacted client secret]')
  })

  it('ignores values too short to redact safely', () => {
    const short = new Redactor()
    short.add('ab', 'x')
    expect(short.scrub('abc')).toBe('abc')
  })
})

describe('Redactor scrubbing the same text again', () => {
  it('finds a secret added after the text was first scrubbed, and still every earlier one', () => {
    const r = new Redactor()
    const first = 'first-secret-value-0123456789'
    const later = 'later-token-abcdefghijklmnopqrstuvwxyz'
    r.add(first, 'client secret')
    const text = `${'padding '.repeat(10)} ${first} and ${later} and ${encodeURIComponent(first)}`
    const once = r.scrub(text)
    expect(once).toContain(later)
    expect(once).not.toContain(first)
    r.add(later, 'access token')
    const twice = r.scrub(once)
    expect(twice).toBe(`${'padding '.repeat(10)} [redacted client secret] and [redacted access token] and [redacted client secret]`)
    expect(r.scrub(twice)).toBe(twice)
    // A text never seen before is checked against every form, old and new.
    expect(r.scrub(`${'x'.repeat(70)} ${first} ${later}`)).toBe(`${'x'.repeat(70)} [redacted client secret] [redacted access token]`)
  })

  it('checks a text again against few or many secrets added since it was scrubbed', () => {
    const r = new Redactor()
    r.add('first-secret-value-0123456789', 'client secret')
    const text = `${'z'.repeat(70)} token-a-0123456789abcdef and token-b-0123456789abcdef`
    expect(r.scrub(text)).toBe(text)
    // A few forms since (looked for one by one): one of them is there.
    r.add('token-a-0123456789abcdef', 'access token')
    const once = r.scrub(text)
    expect(once).toBe(`${'z'.repeat(70)} [redacted access token] and token-b-0123456789abcdef`)
    // Many forms since (more than are looked for one by one): the last of them is there.
    for (let i = 0; i < 20; i++) r.add(`unrelated-token-${i}-0123456789abcdef`, 'access token')
    r.add('token-b-0123456789abcdef', 'refresh token')
    expect(r.scrub(once)).toBe(`${'z'.repeat(70)} [redacted access token] and [redacted refresh token]`)
  })

  it('keeps the longest form first when a later secret contains an earlier one', () => {
    const r = new Redactor()
    r.add('inner-secret-0123456789', 'inner')
    const text = `${'y'.repeat(70)} outer-inner-secret-0123456789-tail`
    expect(r.scrub(text)).toBe(`${'y'.repeat(70)} outer-[redacted inner]-tail`)
    r.add('outer-inner-secret-0123456789-tail', 'outer')
    expect(r.scrub(text)).toBe(`${'y'.repeat(70)} [redacted outer]`)
  })
})

describe('Redactor with hostile input', () => {
  it('redacts a secret far too long for one regular expression, and the short ones beside it', () => {
    const r = new Redactor()
    const huge = 'k'.repeat(300_000)
    r.add(huge, 'access token')
    r.add('short-secret-value', 'client secret')
    expect(r.scrub(`a ${huge} b short-secret-value c`)).toBe('a [redacted access token] b [redacted client secret] c')
  })
})
