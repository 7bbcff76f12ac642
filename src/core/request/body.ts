/**
 * The body of a request: the parameters form-urlencoded (RFC 6749 Appendix B; a space as `+`, or
 * `%20` when a case asks), as one JSON object, or raw text as the case writes it.
 *
 * @module
 */
import type { RequestSpec } from '../../schema/request.ts'
import { displayOf, type Text } from '../refs.ts'
import { formEncode } from './encoding.ts'
import type { Param } from './params.ts'

export type Body = { encoding: 'form'; params: Param[]; spaceAs: '+' | '%20' } | { encoding: 'json'; params: Param[] } | { encoding: 'raw'; text: Text }

export const CONTENT_TYPES: Record<Body['encoding'], string> = {
  form: 'application/x-www-form-urlencoded',
  json: 'application/json',
  // Raw text is most often a hand-written form body; a case sets another type as a header.
  raw: 'application/x-www-form-urlencoded',
}

/** The body a request's parameters make, or none when there are no parameters. */
export function bodyOf(params: Param[], spec: RequestSpec['body'], raw: Text | undefined): Body | undefined {
  const encoding = spec?.encoding ?? 'form'
  if (encoding === 'raw') return { encoding, text: raw! }
  if (!params.length) return undefined
  return encoding === 'json' ? { encoding, params } : { encoding, params, spaceAs: spec?.spaceAs ?? '+' }
}

/** The bytes sent (as text). */
export function bodyText(body: Body): string {
  switch (body.encoding) {
    case 'form':
      return body.params.map((p) => `${formEncode(p.name, body.spaceAs)}=${formEncode(p.text.value, body.spaceAs)}`).join('&')
    case 'json':
      return JSON.stringify(Object.fromEntries(body.params.map((p) => [p.name, p.text.value])))
    case 'raw':
      return body.text.value
  }
}

/** The body as reports show it: secrets as `$VAR`, unencoded, so the reader sees which. */
export function bodyDisplay(body: Body): string {
  switch (body.encoding) {
    case 'form':
      return body.params.map((p) => `${formEncode(p.name, body.spaceAs)}=${p.text.segments.map((s) => (typeof s === 'string' ? formEncode(s, body.spaceAs) : `$${s.var}`)).join('')}`).join('&')
    case 'json':
      return JSON.stringify(Object.fromEntries(body.params.map((p) => [p.name, displayOf(p.text)])))
    case 'raw':
      return displayOf(body.text)
  }
}
