import { describe, expect, it } from 'vitest'
import { rng } from '../../test/_rng.ts'
import { Redactor } from './redact.ts'

// The forms of a secret and the ways to read a text, written here the slow and obvious way, apart
// from the module's, for the tests below to check it against.

/** The texts a secret is written as in a request: raw, JSON-escaped, percent- and form-encoded. */
const textsOf = (s: string) => [s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s), new URLSearchParams([['', s]]).toString().slice(1)]
const bytesOf = (s: string) => [...new TextEncoder().encode(s)]
const binaryOf = (bytes: number[]) => String.fromCharCode(...bytes)
/** The distinct byte strings of the texts of a secret, as binary strings (one character a byte). */
const byteFormsOf = (s: string) => [...new Set(textsOf(s).map((t) => binaryOf(bytesOf(t))))]
const toUrl = (b64: string) => b64.replace(/\+/g, '-').replace(/\//g, '_')
const hexOf = (binary: string) => [...binary].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('')
/** The characters of the Base64 of `before` bytes and then `binary` that hold bits of `binary` only. */
function base64Core(binary: string, before: number): string {
  const b64 = btoa('x'.repeat(before) + binary).replace(/=+$/, '')
  return [...b64].filter((_, i) => 6 * i >= 8 * before && 6 * i + 6 <= 8 * (before + binary.length)).join('')
}
/** UTF-16 code units as two bytes each, little- or big-endian. */
const utf16 = (text: string, order: 'le' | 'be') => [...text].flatMap((c) => (order === 'le' ? [c.charCodeAt(0) & 0xff, c.charCodeAt(0) >> 8] : [c.charCodeAt(0) >> 8, c.charCodeAt(0) & 0xff]))
const readAsUtf8 = (bytes: number[]) => new TextDecoder().decode(new Uint8Array(bytes))
const FORMS = new Map<string, string[]>()
/** Every form of a secret: its texts; Base64 (whole and the core at each alignment), Base64url and hex of their bytes; UTF-16 read as UTF-8 of the ASCII ones. */
function formsOf(s: string): string[] {
  const known = FORMS.get(s)
  if (known) return known
  const forms = textsOf(s)
  for (const binary of byteFormsOf(s)) {
    const b64 = [btoa(binary), btoa(binary).replace(/=+$/, ''), base64Core(binary, 0), base64Core(binary, 1), base64Core(binary, 2)]
    forms.push(...b64, ...b64.map(toUrl), hexOf(binary), hexOf(binary).toUpperCase())
  }
  // UTF-16LE read as UTF-8, without its last NUL: the part UTF-16BE shares.
  for (const t of textsOf(s)) if (/^[\x00-\x7f]*$/.test(t)) forms.push(readAsUtf8(utf16(t, 'le')).slice(0, -1))
  FORMS.set(s, forms)
  return forms
}
/**
 * Which byte form of `s` a reading of `text` reveals: every run of Base64 or Base64url characters
 * decoded at each of its 4 character offsets, every run of hex digits at both nibble offsets, and
 * the text without NULs (UTF-16 read as UTF-8). Byte forms shorter than `min` are not looked for.
 */
function revealed(text: string, s: string, min = 3): string[] {
  const readings = [text.replace(/\0/g, '')]
  for (const [run] of text.matchAll(/[A-Za-z0-9+/_-]+/g))
    for (let offset = 0; offset < 4; offset++) {
      const b64 = run.slice(offset).replace(/-/g, '+').replace(/_/g, '/')
      readings.push(atob(b64.slice(0, b64.length - (b64.length % 4))))
    }
  const fromHex = (hex: string) => binaryOf((hex.match(/../g) ?? []).map((h) => parseInt(h, 16)))
  for (const [run] of text.matchAll(/[0-9a-fA-F]+/g)) for (let offset = 0; offset < 2; offset++) readings.push(fromHex(run.slice(offset)))
  return byteFormsOf(s).filter((b) => b.length >= min && readings.some((r) => r.includes(b)))
}

describe('Redactor', () => {
  const secret = 'p@ss word+/=é'
  const r = new Redactor()
  r.add(secret, 'primary client secret')
  r.addJwk({ kty: 'RSA', n: 'public-modulus', d: 'private-exponent-value' }, 'jwt')

  it('scrubs the raw, JSON, percent, form, Base64 and Base64url forms', () => {
    const bytes = new TextEncoder().encode(secret)
    const b64 = btoa(String.fromCharCode(...bytes))
    const forms = [
      secret,
      JSON.stringify(secret).slice(1, -1),
      encodeURIComponent(secret),
      new URLSearchParams([['', secret]]).toString().slice(1),
      b64,
      b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
    ]
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

describe('Redactor: occurrences that overlap, escape or hide', () => {
  it('removes the union of overlapping occurrences: a token ending in the start of a secret, then the secret', () => {
    const r = new Redactor()
    const secret = 'SECRET-abcdef-0123456789'
    const token = `tok-0123456789abcdef-${secret.slice(0, 10)}`
    r.add(secret, 'client secret')
    r.add(token, 'access token')
    const out = r.scrub(`echo ${token}${secret.slice(10)} and ${token}${secret} end`)
    // Each time the token's end is the secret's start: the two occurrences overlap, and both go.
    expect(out).toBe('echo [redacted access token] and [redacted access token] end')
    expect(out).not.toContain(secret.slice(10, 20))
  })

  it('finds a secret written with JSON \\u escapes, and replaces the escaped text', () => {
    const r = new Redactor()
    r.add('primary-secret-7Hq2xW9vLm4K', 'client secret')
    const body = '{"echo":"\\u0070rimary-secret-7Hq2\\u0078W9vLm4K","ok":1}'
    expect(r.scrub(body)).toBe('{"echo":"[redacted client secret]","ok":1}')
  })

  it('never leaves a secret inside its own label', () => {
    const r = new Redactor()
    r.add('client', 'client secret')
    expect(r.scrub('a client b')).toBe('a [redacted] b')
    r.add('red', 'x')
    expect(r.scrub('a client red b')).not.toMatch(/client|red/)
  })

  it('keeps keys such as __proto__ and constructor as keys', () => {
    const r = new Redactor()
    r.add('s3cret-value', 'client secret')
    const input = JSON.parse('{"__proto__":"s3cret-value","constructor":"x","toString":"s3cret-value"}') as Record<string, unknown>
    const out = r.scrubDeep(input)
    expect(Object.keys(out)).toEqual(['__proto__', 'constructor', 'toString'])
    expect(JSON.stringify(out)).toBe('{"__proto__":"[redacted client secret]","constructor":"x","toString":"[redacted client secret]"}')
  })
})

describe('Redactor: a secret echoed in Base64, hex or UTF-16', () => {
  const secrets = ['p@ss word+/=é', 'Zx9-realistic-client-secret-0123', 'k?>~k?>~k?>~k?>~k?']

  it('redacts a request echoed in Base64 or Base64url whatever the bytes before the secret, so that no decoding reveals it', () => {
    for (const secret of secrets) {
      const r = new Redactor()
      r.add(secret, 'client secret')
      for (let before = 0; before < 6; before++) {
        const id = 'client-id-'.slice(0, before)
        const echoes = [
          `${id}:${encodeURIComponent(secret)}`, // Basic credentials (RFC 6749 §2.3.1), whatever the id's length
          `{"${id}":1,"client_secret":${JSON.stringify(secret)},"scope":"read"}`,
          `grant_type=client_credentials&${id}client_secret=${new URLSearchParams([['', secret]]).toString().slice(1)}&x=1`,
          `${id}${secret}`,
          `${id}${secret}tail`,
        ]
        for (const echo of echoes) {
          const b64 = btoa(binaryOf(bytesOf(echo)))
          for (const blob of [b64, b64.replace(/=+$/, ''), toUrl(b64), toUrl(b64).replace(/=+$/, '')]) {
            const out = r.scrub(`X-Debug: ${blob}\r\ntrace=eyJhbGciOiJub25lIn0.${blob}.`)
            expect(out, `${echo} as ${blob}`).toContain('[redacted client secret]')
            expect(revealed(out, secret), `${echo} as ${blob}`).toEqual([])
          }
        }
      }
    }
  })

  it('replaces a whole Base64 encoding of the secret alone, padding included', () => {
    for (const secret of ['sixteen-chars-ab', 'seventeen-chars-a', 'eighteen-chars-abc', 'k?>~k?>~k?>~k?>~k?']) {
      const r = new Redactor()
      r.add(secret, 'client secret')
      const b64 = btoa(secret)
      for (const blob of [b64, b64.replace(/=+$/, ''), toUrl(b64), toUrl(b64).replace(/=+$/, '')]) expect(r.scrub(`a ${blob} b`)).toBe('a [redacted client secret] b')
    }
  })

  it('redacts the hex of each byte form of the secret, in lower and upper case', () => {
    for (const secret of secrets) {
      const r = new Redactor()
      r.add(secret, 'client secret')
      for (const binary of byteFormsOf(secret))
        for (const hex of [hexOf(binary), hexOf(binary).toUpperCase()]) {
          expect(r.scrub(`dump: 00ff${hex}0a end`)).toBe('dump: 00ff[redacted client secret]0a end')
          // Starting half a byte in: the hex digits around it are kept, nothing of the secret is.
          expect(revealed(r.scrub(`dump: f${hex}0`), secret)).toEqual([])
        }
    }
  })

  it('redacts a UTF-16LE or UTF-16BE body read as UTF-8, and the encoded texts of a non-ASCII secret in it', () => {
    for (const secret of secrets)
      for (const order of ['le', 'be'] as const) {
        const r = new Redactor()
        r.add(secret, 'client secret')
        const form = new URLSearchParams([['', secret]]).toString().slice(1)
        const body = readAsUtf8(utf16(`{"echo":${JSON.stringify(`client_secret=${form}`)}}`, order))
        const out = r.scrub(body)
        expect(out).toContain('[redacted client secret]')
        expect(out.replace(/\0/g, '')).not.toContain(form)
        // An ASCII secret as itself too; a non-ASCII one read as UTF-8 no longer spells itself.
        if (!/^[\x00-\x7f]*$/.test(secret)) continue
        const raw = r.scrub(readAsUtf8(utf16(`secret: ${secret}.`, order)))
        expect(raw.replace(/\0/g, '')).toBe('secret: [redacted client secret].')
      }
  })

  it('reaches far enough for its longest form written wholly with JSON escapes', () => {
    const secret = 'p@ss word+/=é'
    const r = new Redactor()
    r.add(secret, 'client secret')
    // The longest form: the hex of the percent-encoded text, 56 characters.
    const longest = hexOf(encodeURIComponent(secret)).toUpperCase()
    const escaped = [...longest].map((c) => `\\u00${c.charCodeAt(0).toString(16)}`).join('')
    expect(r.reach).toBeGreaterThanOrEqual(escaped.length)
    expect(r.scrub(`{"a":"${escaped}"}`)).toBe('{"a":"[redacted client secret]"}')
  })

  it('takes a token with a lone surrogate (a hostile server can send one) without throwing', () => {
    const r = new Redactor()
    const token = 'tok-\ud800-abcdefghijklmnop'
    r.add(token, 'access token')
    expect(r.scrub(`x ${token} y`)).toBe('x [redacted access token] y')
  })

  it('gives a secret that is a form of an earlier one its own forms', () => {
    const r = new Redactor()
    const first = 'first-secret-value-0123'
    const hex = hexOf(first)
    r.add(first, 'client secret')
    r.add(hex, 'access token')
    expect(r.scrub(`a ${btoa(hex)} b`)).toBe('a [redacted access token] b')
  })

  it('leaves ordinary text alone: no false redaction with realistic secrets of 16 characters and more', () => {
    const random = rng(7)
    const chars = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join('')
    const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const PRINTABLE = B64URL + ' !"#$%&\'()*+,./:;<=>?@[\\]^`{|}~'
    const r = new Redactor()
    for (let i = 0; i < 100; i++) r.add(chars(B64URL, 16 + Math.floor(random() * 48)), 'client secret')
    for (let i = 0; i < 50; i++) r.add(chars(PRINTABLE + 'éü€漢', 16 + Math.floor(random() * 16)), 'client secret')
    for (let i = 0; i < 30; i++) r.add(`eyJ${chars(B64URL, 900)}`, 'access token')
    const randomBinary = (n: number) => binaryOf(Array.from({ length: n }, () => Math.floor(random() * 256)))
    const prose = 'The token endpoint answered 400 with error=invalid_client and a description: "client authentication failed". '
    const report = JSON.stringify({ case: 'token-response.cache-control-no-store', outcome: 'passed', headers: { 'cache-control': 'no-store', pragma: 'no-cache' }, body: prose })
    const ordinary = [
      prose.repeat(20),
      report,
      `<html><body><h1>grantcheck</h1><table>${'<tr><td class="passed">token-response.has-access-token</td></tr>'.repeat(50)}</table></body></html>`,
      btoa(randomBinary(30_000)),
      toUrl(btoa(randomBinary(30_000))),
      Array.from({ length: 200 }, () => hexOf(randomBinary(32))).join('\n'),
      Array.from({ length: 50 }, () => `${toUrl(btoa('{"alg":"RS256","kid":"k1"}'))}.${toUrl(btoa(randomBinary(200)))}.${toUrl(btoa(randomBinary(256)))}`).join(' '),
      readAsUtf8(utf16(prose, 'le')),
      `https://as.example/token?client_id=grantcheck-primary&scope=${encodeURIComponent('read write')}&state=${hexOf(randomBinary(16))}`,
    ].join('\n')
    expect(r.scrub(ordinary)).toBe(ordinary)
  })
})

describe('Redactor against a naive reference (seeded differential test)', () => {
  const ALPHABET = 'abcXYZ019 +/=%&:"\\\'-_.~[]{}é€\u0001'
  /** JSON escapes decoded, each decoded character with where it began: written apart from the module's. */
  function decode(text: string): { text: string; starts: number[] } {
    const starts: number[] = []
    let out = ''
    for (const m of text.matchAll(/\\u[0-9a-fA-F]{4}|\\["\\/bfnrt]|[\s\S]/g)) {
      starts.push(m.index)
      const t = m[0]
      out +=
        t.length === 6
          ? String.fromCharCode(parseInt(t.slice(2), 16))
          : t.length === 2
            ? ({ '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' } as Record<string, string>)[t[1]!]!
            : t
    }
    starts.push(text.length)
    return { text: out, starts }
  }
  /** The specification of scrub, written the slow and obvious way. */
  function naive(secrets: Array<[string, string]>, input: string): string {
    const forms = secrets.flatMap(([s, label]) =>
      formsOf(s)
        .filter((f) => f.length >= 3)
        .map((f) => ({ f, label: `[redacted ${label}]` })),
    )
    const seen = new Set<string>()
    const unique = forms.filter((x) => !seen.has(x.f) && seen.add(x.f))
    const safe = (label: string) => [label, '[redacted]', '[…]'].find((l) => !unique.some((x) => l.includes(x.f))) ?? '█'
    let text = input
    for (let pass = 0; pass <= 64; pass++) {
      const ranges: Array<[number, number, string]> = []
      const d = decode(text)
      for (let i = 0; i < text.length; i++) for (const x of unique) if (text.startsWith(x.f, i)) ranges.push([i, i + x.f.length, x.label])
      // Read decoded when an escape JSON.stringify would not write (\u, \/) is there.
      if (/\\[u/]/.test(text) && d.text !== text)
        for (let i = 0; i < d.text.length; i++) for (const x of unique) if (d.text.startsWith(x.f, i)) ranges.push([d.starts[i]!, d.starts[i + x.f.length]!, x.label])
      if (!ranges.length) return text
      // Shortest forms come first in the module's order; the label of a run is that of its first
      // range, and at one start the longest: the same order here.
      ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1])
      let out = ''
      let done = 0
      let i = 0
      while (i < ranges.length) {
        let end = ranges[i]![1]
        const start = ranges[i]![0]
        const label = ranges[i]![2]
        while (++i < ranges.length && ranges[i]![0] <= end) end = Math.max(end, ranges[i]![1])
        out += text.slice(done, start) + safe(label)
        done = end
      }
      text = out + text.slice(done)
    }
    return '[redacted text]'
  }

  it('agrees with the reference on 3000 random secrets and texts, and leaves no form behind, encoded or decoded', () => {
    const r = rng(20261201)
    const pick = <T>(list: readonly T[]) => list[Math.floor(r() * list.length)]!
    const word = (min: number, max: number) => Array.from({ length: min + Math.floor(r() * (max - min + 1)) }, () => pick([...ALPHABET])).join('')
    const escape = (s: string) => [...s].map((ch) => (r() < 0.4 ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : ch)).join('')
    const randomBytes = (max: number) => binaryOf(Array.from({ length: Math.floor(r() * (max + 1)) }, () => Math.floor(r() * 256)))
    // A byte form of the secret between random bytes, so that it starts at any byte alignment.
    const embedded = (s: string) => randomBytes(5) + pick(byteFormsOf(s)) + randomBytes(5)
    const base64Blob = (s: string) => {
      const b64 = btoa(embedded(s))
      return pick([b64, b64.replace(/=+$/, ''), toUrl(b64), toUrl(b64).replace(/=+$/, '')])
    }
    const hexBlob = (s: string) => (r() < 0.5 ? hexOf(embedded(s)) : hexOf(embedded(s)).toUpperCase())
    const utf16Blob = (s: string) => readAsUtf8(utf16(word(0, 3) + pick(textsOf(s)) + word(0, 3), pick(['le', 'be'] as const)))
    let disagreements = 0
    let withSecrets = 0
    for (let n = 0; n < 3000; n++) {
      const secrets: Array<[string, string]> = Array.from({ length: 1 + Math.floor(r() * 3) }, () => [
        r() < 0.1 ? pick(['redacted', 'client', 'ted cl', 'cess t']) : word(3, 12),
        pick(['client secret', 'access token']),
      ])
      const redactor = new Redactor()
      for (const [s, label] of secrets) redactor.add(s, label)
      const pieces = Array.from({ length: 1 + Math.floor(r() * 6) }, () => {
        const [s] = pick(secrets)
        const kind = Math.floor(r() * 9)
        if (kind === 0) return word(0, 8)
        if (kind === 1) return pick(formsOf(s))
        if (kind === 2) return s.slice(0, 1 + Math.floor(r() * s.length)) + s // a prefix of it, then it: overlapping
        if (kind === 3) return escape(s)
        if (kind === 4) return `[redacted ${pick(['client secret', 'access token'])}]`
        if (kind === 6) return base64Blob(s)
        if (kind === 7) return hexBlob(s)
        if (kind === 8) return utf16Blob(s)
        return s + pick(secrets)[0] // two secrets touching
      })
      const text = pieces.join('')
      const expected = naive(secrets, text)
      const got = redactor.scrub(text)
      if (got !== expected) disagreements++
      const allForms = secrets.flatMap(([s]) => formsOf(s)).filter((f) => f.length >= 3)
      const gotDecoded = decode(got).text
      expect(
        allForms.filter((f) => got.includes(f) || gotDecoded.includes(f)),
        `${JSON.stringify(text)} → ${JSON.stringify(got)}`,
      ).toEqual([])
      expect(
        secrets.flatMap(([s]) => revealed(got, s)),
        `${JSON.stringify(text)} → ${JSON.stringify(got)}`,
      ).toEqual([])
      if (got !== text) withSecrets++
    }
    expect(disagreements).toBe(0)
    expect(withSecrets).toBeGreaterThan(2000)
  })
})
