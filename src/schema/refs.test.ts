import { describe, expect, it } from 'vitest'
import { parseRef, parseTemplate, refSource, refType } from './refs.ts'

describe('references', () => {
  it.each([
    ['issuer', 'string'],
    ['endpoints.introspection', 'string'],
    ['metadata.token_endpoint', 'json'],
    ['client.secret', 'string'],
    ['clients.jwtEc.id', 'string'],
    ['scopes.valid', 'strings'],
    ['scopes.valid[1]', 'string'],
    ['now-600', 'number'],
    ['now + 8', 'number'],
    ['key.privateJwk', 'json'],
    ['args.errors', 'json'],
  ])('${%s} parses, with type %s, and prints back', (source, type) => {
    const ref = parseRef(source)
    if (typeof ref === 'string') throw new Error(ref)
    expect(refType(ref)).toBe(type)
    expect(refSource(ref)).toBe(source.replace(/ /g, ''))
  })

  it.each([
    ['scopes.vaild', 'did you mean "${scopes.valid}"?'],
    ['isuer', 'did you mean "${issuer}"?'],
    ['endpoints.tokn', 'did you mean "${endpoints.token}"?'],
    ['clients.primary.key', 'unknown reference "${clients.primary.key}"'],
    ['nowish', 'unknown reference'],
  ])('${%s} is refused: %s', (source, message) => {
    expect(parseRef(source)).toContain(message)
  })

  it('splits templates into text and references; $${ is a literal', () => {
    expect(parseTemplate('a ${issuer} b')).toEqual(['a ', { kind: 'issuer' }, ' b'])
    expect(parseTemplate('$${issuer}')).toEqual(['${issuer}'])
    expect(parseTemplate('plain')).toEqual(['plain'])
    expect(parseTemplate('')).toEqual([''])
    expect(parseTemplate('${issuer')).toMatch(/unterminated reference/)
  })
})
