/**
 * The leak scan (test/_leaks.ts) checked on planted leaks: each form a secret can travel in,
 * planted in a report's JSON and in an HTML page, is found; clean texts full of things that look
 * like secrets (random Base64, JWTs, hex hashes) report nothing; and what the redactor
 * (src/core/redact.ts) scrubbed reports nothing either. The scan and the redactor are written
 * apart, and each checks the other.
 */
import { describe, expect, it } from 'vitest'
import { Redactor } from '../src/core/redact.ts'
import { leaksIn } from './_leaks.ts'
import { rng } from './_rng.ts'

const SECRETS: Array<[string, string]> = [
  ['ascii', 'Zx9-realistic-client-secret-0123'],
  ['special', 'sp3cial +%&:=/?#"\'~!'],
  ['non-ascii', 'pässwörd-€-secret-value'],
  ['base64 with + and /', 'k?>~k?>~k?>~k?>~k?'],
]

const random = rng(4242)
const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)))
const toUrl = (b64: string) => b64.replace(/\+/g, '-').replace(/\//g, '_')
const unpadded = (b64: string) => b64.replace(/=+$/, '')

/** The texts a request writes a secret as. */
const textsOf = (s: string) => [s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s), new URLSearchParams([['', s]]).toString().slice(1)]

/** UTF-16 code units as bytes, read back as UTF-8 (what the engine does with a body it cannot decode as declared). */
const utf16ReadAsUtf8 = (text: string, order: 'le' | 'be') => {
  const le = Buffer.from(text, 'utf16le')
  return new TextDecoder().decode(order === 'le' ? le : le.swap16())
}

/** Every form to plant, named: the plain ones, then the encoded ones at each alignment and in both alphabets. */
function plantedForms(secret: string): Array<[string, string]> {
  const [raw, json, percent, form] = textsOf(secret) as [string, string, string, string]
  const planted: Array<[string, string]> = [
    ['raw', raw],
    ['JSON-escaped', json],
    ['percent-encoded', percent],
    ['form-encoded', form],
    ['\\u escapes', [...secret].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')],
  ]
  for (const [name, text] of [
    ['raw', raw],
    ['form-encoded', form],
  ] as const) {
    const bytes = Buffer.from(text, 'utf8')
    for (let before = 0; before < 3; before++) {
      // The secret's bytes after `before` bytes of something else, and with bytes after it too or not.
      for (const after of [0, 4]) {
        const b64 = Buffer.concat([randomBytes(before), bytes, randomBytes(after)]).toString('base64')
        const at = `${name} in Base64 at alignment ${before}${after ? ' with more after' : ''}`
        planted.push([at, b64], [`${at}, unpadded`, unpadded(b64)], [`${at}, Base64url`, toUrl(b64)], [`${at}, Base64url unpadded`, unpadded(toUrl(b64))])
      }
    }
    planted.push([`${name} in hex`, bytes.toString('hex')], [`${name} in upper-case hex`, bytes.toString('hex').toUpperCase()])
    planted.push([`${name} in hex, a byte in`, `f${Buffer.concat([randomBytes(1), bytes]).toString('hex')}`])
  }
  for (const [name, text] of [
    ['raw', raw],
    ['form-encoded', form],
  ] as const) {
    // UTF-16 read as UTF-8 spells only ASCII: a non-ASCII text would no longer be itself.
    if (!/^[\x00-\x7f]*$/.test(text)) continue
    planted.push([`${name} in UTF-16LE read as UTF-8`, utf16ReadAsUtf8(`x=${text};`, 'le')], [`${name} in UTF-16BE read as UTF-8`, utf16ReadAsUtf8(`x=${text};`, 'be')])
  }
  return planted
}

/** A report's JSON with `planted` in a response body, as the JSON reporter writes it. */
const inReportJson = (planted: string) =>
  JSON.stringify(
    {
      run: { id: 'run-1', target: 'https://as.example', outcome: 'failed' },
      cases: [
        { id: 'token-response.has-access-token', outcome: 'passed', exchanges: [{ status: 200, headers: { 'cache-control': 'no-store' }, body: '{"token_type":"Bearer"}' }] },
        {
          id: 'error-response.invalid-client',
          outcome: 'failed',
          exchanges: [{ status: 401, headers: { 'x-debug': planted }, body: `{"error":"invalid_client","error_description":"echo ${planted} end"}` }],
        },
      ],
    },
    null,
    2,
  )

/** An HTML page with `planted` in a <pre>, as the HTML reporter shows a body. */
const inHtml = (planted: string) =>
  `<!doctype html><html><head><title>grantcheck report</title></head><body><section class="case failed"><h2>error-response.invalid-client</h2><pre>${planted}</pre></section></body></html>`

describe('leaksIn, on planted leaks', () => {
  it('finds every planted form of every secret, in a report JSON and in an HTML page', () => {
    const missed: string[] = []
    let planted = 0
    for (const [name, secret] of SECRETS)
      for (const [form, text] of plantedForms(secret))
        for (const [where, page] of [
          ['JSON', inReportJson(text)],
          ['HTML', inHtml(text)],
        ] as const) {
          planted++
          const found = leaksIn([page], [[name, secret]])
          if (!found.length) missed.push(`${name}: ${form} in ${where}`)
        }
    expect(missed).toEqual([])
    expect(planted).toBeGreaterThan(300)
  })

  it('finds a form that is the whole text, or its very start or end, and one planted in each of many texts', () => {
    const secret = 'Zx9-realistic-client-secret-0123'
    for (const text of [secret, `${secret} tail`, `head ${secret}`]) expect(leaksIn([text], [['s', secret]])).toEqual(['s as "Zx9-realisti"…'])
    const texts = Array.from({ length: 20 }, (_, i) => `text ${i} `.repeat(100))
    texts[13] += Buffer.from(secret).toString('hex')
    expect(leaksIn(texts, [['s', secret]])).toEqual(['s as "Zx9-realisti"… (in hex at offset 0)'])
    // Forms that begin alike (as JWTs do) are each compared whole.
    const alike: Array<[string, string]> = Array.from({ length: 30 }, (_, i) => [`t${i}`, `eyJhbGciOi-${i}-${'x'.repeat(i)}-end`])
    expect(leaksIn([`a ${alike[17]![1]} b ${alike[3]![1]}`], alike)).toEqual(['t3 as "eyJhbGciOi-3"…', 't17 as "eyJhbGciOi-1"…'])
  })

  it('says which reading a leak was found in', () => {
    const secret = 'Zx9-realistic-client-secret-0123'
    expect(leaksIn([`a ${secret} b`], [['s', secret]])).toEqual(['s as "Zx9-realisti"…'])
    const b64 = Buffer.from(`xx${secret}`).toString('base64')
    expect(leaksIn([`debug=${b64}`], [['s', secret]])).toEqual(['s as "Zx9-realisti"… (in Base64 at offset 0)'])
    // The run of hex digits starts half a byte before the secret's: the `f` is read with it.
    expect(leaksIn([`id=f${Buffer.from(secret).toString('hex')}`], [['s', secret]])).toEqual(['s as "Zx9-realisti"… (in hex at offset 1)'])
    expect(leaksIn([utf16ReadAsUtf8(secret, 'le')], [['s', secret]])).toEqual(['s as "Zx9-realisti"… (with NULs removed)'])
    // A secret with & and " in it, as an HTML page writes it.
    const special = 'sp3cial +%&:=/?#"\'~!-long-enough'
    const html = special.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
    expect(leaksIn([`<pre>${html}</pre>`], [['s', special]])).toEqual(['s as "sp3cial +%&:"… (with HTML character references decoded)'])
  })
})

describe('leaksIn, on clean texts', () => {
  const secrets = SECRETS
  const clean = [
    inReportJson('nothing to see'),
    inHtml('nothing to see'),
    // Long Base64 and Base64url of random bytes, JWT-like strings and hex hashes.
    randomBytes(200_000).toString('base64'),
    toUrl(randomBytes(200_000).toString('base64')),
    Array.from({ length: 200 }, () => `eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.${toUrl(unpadded(randomBytes(300).toString('base64')))}.${toUrl(unpadded(randomBytes(256).toString('base64')))}`).join('\n'),
    Array.from({ length: 2000 }, () => randomBytes(32).toString('hex')).join(' '),
    Array.from({ length: 2000 }, () => randomBytes(20).toString('hex').toUpperCase()).join('\n'),
    utf16ReadAsUtf8('The token endpoint answered 401 with error=invalid_client.', 'le'),
  ]

  it('reports nothing for long Base64, JWT-like strings, hex hashes and UTF-16', () => {
    expect(leaksIn(clean, secrets)).toEqual([])
  })

  it('reports nothing for the planted forms once the Redactor has scrubbed them', () => {
    const redactor = new Redactor()
    for (const [name, secret] of secrets) redactor.add(secret, name)
    const left: string[] = []
    for (const [name, secret] of secrets)
      for (const [form, text] of plantedForms(secret))
        for (const page of [inReportJson, inHtml]) {
          // Scrubbed as the engine does: each string before a reporter writes it.
          const written = page(redactor.scrub(text))
          left.push(...leaksIn([written], secrets).map((l) => `${name} planted as ${form}: ${l}`))
        }
    expect(left).toEqual([])
  })

  it('scans a few megabytes in reasonable time', () => {
    const big = [inHtml(Array.from({ length: 40 }, () => randomBytes(30_000).toString('base64')).join('\n<br>\n')), clean.join('\n')]
    const many: Array<[string, string]> = Array.from({ length: 50 }, (_, i) => [`token ${i}`, toUrl(randomBytes(675).toString('base64'))])
    const started = performance.now()
    expect(leaksIn(big, [...secrets, ...many])).toEqual([])
    // Generous, for a shared machine: about 1 s where measured.
    expect(performance.now() - started).toBeLessThan(15_000)
  })
})
