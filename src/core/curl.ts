/**
 * A reproducing curl command for each request, with every secret read from a shell variable
 * (`$PRIMARY_CLIENT_SECRET`), never written out.
 *
 * @module
 */

export interface RequestParam {
  name: string
  value: string
  /** Set when the value is secret: the curl line reads it from this shell variable. */
  secretVar?: string
}

export interface CurlInput {
  method: string
  baseUrl: string
  headers: Array<[string, string]>
  query: RequestParam[]
  params: RequestParam[]
  encoding: 'form' | 'json'
  basic?: { clientId: string; secret: string; secretVar?: string; encoded: boolean }
}

/** Single-quotes a string for POSIX shells. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/** A shell expression that prints `$VAR` form-urlencoded, as RFC 6749 §2.3.1 asks for Basic. */
function formEncodedVar(name: string): string {
  return `$(node -p 'new URLSearchParams([["",process.env.${name}]]).toString().slice(1)')`
}

const formEncode = (v: string): string => new URLSearchParams([['', v]]).toString().slice(1)

export function buildCurl(input: CurlInput): string {
  const parts = ['curl', '-sS', '-i']
  if (input.method !== 'POST' && input.method !== 'GET') parts.push('-X', input.method)

  // The URL is built from literal pieces (single-quoted) and secret expressions (double-quoted).
  const url = new URL(input.baseUrl)
  const pieces: Array<{ literal: string } | { expr: string }> = [{ literal: url.toString() }]
  input.query.forEach((p, i) => {
    const sep = i === 0 && !url.search ? '?' : '&'
    if (p.secretVar) pieces.push({ literal: `${sep}${formEncode(p.name)}=` }, { expr: formEncodedVar(p.secretVar) })
    else pieces.push({ literal: `${sep}${formEncode(p.name)}=${formEncode(p.value)}` })
  })
  parts.push(pieces.map((p) => ('literal' in p ? shellQuote(p.literal) : `"${p.expr}"`)).join(''))

  for (const [name, value] of input.headers) {
    // A header whose whole value is a $VARIABLE (a DPoP proof) must let the shell expand it.
    parts.push('-H', /^\$[A-Z_][A-Z0-9_]*$/.test(value) ? `"${name}: ${value}"` : shellQuote(`${name}: ${value}`))
  }
  if (input.basic) {
    const { clientId, secret, secretVar, encoded } = input.basic
    const id = encoded ? formEncode(clientId) : clientId
    if (secretVar) {
      const secretExpr = encoded ? formEncodedVar(secretVar) : `$${secretVar}`
      parts.push('-H', `"Authorization: Basic $(printf '%s' ${shellQuote(id)}:"${secretExpr}" | base64 | tr -d '\\n')"`)
    } else {
      parts.push('-u', shellQuote(`${id}:${encoded ? formEncode(secret) : secret}`))
    }
  }

  if (input.params.length) {
    if (input.encoding === 'json') {
      parts.push('--data-raw', jsonWithVars(input.params))
    } else {
      const plain = input.params.filter((p) => !p.secretVar)
      if (plain.length) parts.push('--data-raw', shellQuote(plain.map((p) => `${formEncode(p.name)}=${formEncode(p.value)}`).join('&')))
      for (const p of input.params.filter((q) => q.secretVar))
        parts.push('--data-urlencode', `"${p.name}=$${p.secretVar}"`)
    }
  }
  return parts.join(' ')
}

/** A JSON body in which secret values are spliced in, JSON-encoded, from shell variables. */
function jsonWithVars(params: RequestParam[]): string {
  const marker = (name: string) => `\u0000${name}\u0000`
  const json = JSON.stringify(Object.fromEntries(params.map((p) => [p.name, p.secretVar ? marker(p.secretVar) : p.value])))
  return json
    .split(/"\\u0000([A-Z_][A-Z0-9_]*)\\u0000"/)
    .map((piece, i) => (i % 2 === 0 ? shellQuote(piece) : `"$(node -p 'JSON.stringify(process.env.${piece})')"`))
    .join('')
}
