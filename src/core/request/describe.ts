/**
 * The description of a request, apart from its construction: the copy reports show (secrets as
 * `$VAR`) and a reproducing curl line in which every secret is read from a shell variable, never
 * written out.
 *
 * @module
 */
import type { OutgoingRequest } from '../http.ts'
import { displayOf, hasSecret, type Segment, type Text } from '../refs.ts'
import { bodyDisplay, type Body } from './body.ts'
import { formEncode } from './encoding.ts'
import type { Param } from './params.ts'
import type { ClientCertificate } from '../resolve.ts'
import { certificateCurlArgs } from './certificate.ts'

export interface HeaderEntry {
  name: string
  text: Text
  /** How reports show it, when not the text with `$VAR`s (a Basic blob, a DPoP proof). */
  shown?: string
  /** The curl arguments that send it (flag included), when not built from the text. */
  shell?: string
}

export interface RequestParts {
  method: string
  endpoint: string
  query: Param[]
  headers: HeaderEntry[]
  body?: Body
  /** The client certificate presented in mutual TLS. */
  certificate?: ClientCertificate
}

/** Single-quotes a string for POSIX shells. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/** A shell expression that prints `$VAR` form-urlencoded, as RFC 6749 §2.3.1 asks for Basic. */
function formEncodedVar(name: string, spaceAs: '+' | '%20' = '+'): string {
  const encoded = 'new URLSearchParams([["",process.env.' + name + ']]).toString().slice(1)'
  return `$(node -p '${spaceAs === '+' ? encoded : `${encoded}.replace(/\\+/g,"%20")`}')`
}

/** One shell word from segments: literal pieces single-quoted (after `encode`), secrets as expressions. */
function shellWord(segments: Segment[], encode: (s: string) => string = (s) => s, secretExpr: (v: string) => string = (v) => `$${v}`): string {
  // Adjacent literal pieces are quoted together: 'Accept: application/json', not 'Accept: ''application/json'.
  const merged: Segment[] = []
  for (const s of segments) {
    const last = merged[merged.length - 1]
    if (typeof s === 'string' && typeof last === 'string') merged[merged.length - 1] = last + s
    else merged.push(s)
  }
  const word = merged.map((s) => (typeof s === 'string' ? (s === '' ? '' : shellQuote(encode(s))) : `"${secretExpr(s.var)}"`)).join('')
  return word === '' ? "''" : word
}

/** The request as reports show it. */
export function displayOfRequest(parts: RequestParts): OutgoingRequest {
  const query = parts.query.map((p) => `${formEncode(p.name)}=${p.text.segments.map((s) => (typeof s === 'string' ? formEncode(s) : `$${s.var}`)).join('')}`)
  return {
    method: parts.method,
    url: query.length ? `${parts.endpoint}${parts.endpoint.includes('?') ? '&' : '?'}${query.join('&')}` : parts.endpoint,
    headers: parts.headers.map((h) => [h.name, h.shown ?? displayOf(h.text)]),
    body: parts.body === undefined ? undefined : bodyDisplay(parts.body),
  }
}

/** A curl line that sends the same request, secrets read from the environment. */
export function curlOf(parts: RequestParts): string {
  const out = ['curl', '-sS', '-i']
  // curl sends GET without a body and POST with one; anything else is said.
  if (!(parts.method === 'GET' && !parts.body) && !(parts.method === 'POST' && parts.body)) out.push('-X', parts.method)

  const url: Segment[] = [parts.endpoint]
  parts.query.forEach((p, i) => {
    url.push(`${i === 0 && !parts.endpoint.includes('?') ? '?' : '&'}${formEncode(p.name)}=`)
    for (const s of p.text.segments) url.push(typeof s === 'string' ? formEncode(s) : s)
  })
  out.push(
    shellWord(
      url,
      (s) => s,
      (v) => formEncodedVar(v),
    ),
  )

  for (const h of parts.headers) out.push(h.shell ?? `-H ${shellWord([`${h.name}: `, ...h.text.segments])}`)
  if (parts.body) out.push(...bodyArgs(parts.body))
  if (parts.certificate) out.push(certificateCurlArgs(parts.certificate))
  return out.join(' ')
}

function bodyArgs(body: Body): string[] {
  switch (body.encoding) {
    case 'raw':
      return ['--data-raw', shellWord(body.text.segments)]
    case 'json':
      return ['--data-raw', jsonWithVars(body.params)]
    case 'form': {
      // Plain parameters go pre-encoded in --data-raw; a parameter holding a secret goes through
      // --data-urlencode, so the shell supplies it and curl encodes it. curl joins them with '&'.
      const args: string[] = []
      let plain: string[] = []
      const flush = () => {
        if (plain.length) args.push('--data-raw', shellQuote(plain.join('&')))
        plain = []
      }
      for (const p of body.params) {
        const name = formEncode(p.name, body.spaceAs)
        if (!hasSecret(p.text)) {
          plain.push(`${name}=${formEncode(p.text.value, body.spaceAs)}`)
          continue
        }
        flush()
        args.push('--data-urlencode', `"${escapeDouble(`${p.name}=`)}${p.text.segments.map((s) => (typeof s === 'string' ? escapeDouble(s) : `\${${s.var}}`)).join('')}"`)
      }
      flush()
      return args
    }
  }
}

/** Text safe inside a double-quoted shell string. */
function escapeDouble(s: string): string {
  return s.replace(/[\\"$`]/g, (c) => `\\${c}`)
}

/** A JSON body in which secret pieces are spliced in, JSON-escaped, from shell variables. */
function jsonWithVars(params: Param[]): string {
  const vars: string[] = []
  const marked = (t: Text) =>
    t.segments
      .map((s) => {
        if (typeof s === 'string') return s
        vars.push(s.var)
        return `\u0000${vars.length - 1}\u0000`
      })
      .join('')
  const json = JSON.stringify(Object.fromEntries(params.map((p) => [p.name, marked(p.text)])))
  return json
    .split(/\\u0000(\d+)\\u0000/)
    .map((piece, i) => (i % 2 === 0 ? (piece === '' ? '' : shellQuote(piece)) : `"$(node -p 'JSON.stringify(process.env.${vars[Number(piece)]}).slice(1,-1)')"`))
    .join('')
}

/**
 * The curl argument of a Basic header: `-u` when nothing is secret, else the header rebuilt by
 * the shell (Base64 of the form-urlencoded or raw id and secret).
 */
export function basicShellArgs(basic: { clientId: Text; secret: Text; encoded: boolean }): string {
  const enc = basic.encoded ? (s: string) => formEncode(s) : (s: string) => s
  if (!hasSecret(basic.clientId) && !hasSecret(basic.secret)) return `-u ${shellQuote(`${enc(basic.clientId.value)}:${enc(basic.secret.value)}`)}`
  const expr = (v: string) => (basic.encoded ? formEncodedVar(v) : `$${v}`)
  const word = `${shellWord(basic.clientId.segments, enc, expr)}:${shellWord(basic.secret.segments, enc, expr)}`
  return `-H "Authorization: Basic $(printf '%s' ${word} | base64 | tr -d '\\n')"`
}

/** How reports show a Basic header: what it is made of, never the blob. */
export function basicShown(basic: { clientId: Text; secret: Text; encoded: boolean }, value: string): string {
  if (!hasSecret(basic.clientId) && !hasSecret(basic.secret)) return value
  return `Basic [redacted: base64 of ${basic.encoded ? 'form-urlencoded ' : ''}"${displayOf(basic.clientId)}" ":" ${displayOf(basic.secret)}]`
}
