import { describe, expect, it } from 'vitest'
import { decodeBody, declaredCharset } from './charset.ts'

const utf16 = (text: string, littleEndian: boolean, bom = false): Uint8Array => {
  const out = new Uint8Array(2 * text.length + (bom ? 2 : 0))
  if (bom) out.set(littleEndian ? [0xff, 0xfe] : [0xfe, 0xff])
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    out.set(littleEndian ? [c & 0xff, c >> 8] : [c >> 8, c & 0xff], (bom ? 2 : 0) + 2 * i)
  }
  return out
}
const JSON_TEXT = '{"access_token":"tök-123","token_type":"Bearer"}'

describe('decodeBody', () => {
  it('reads UTF-8 as it is, whatever harmless label it carries', () => {
    const bytes = new TextEncoder().encode(JSON_TEXT)
    for (const type of ['application/json', 'application/json; charset=utf-8', 'application/json;charset="UTF-8"', null])
      expect(decodeBody(bytes, type)).toEqual({ text: JSON_TEXT, encoding: 'utf-8' })
  })

  it('reads UTF-16 in either byte order, with or without a mark or a label, and says it is not UTF-8', () => {
    for (const littleEndian of [true, false])
      for (const bom of [true, false])
        for (const type of ['application/json; charset=utf-16', 'application/json']) {
          const d = decodeBody(utf16(JSON_TEXT, littleEndian, bom), type)
          expect(d.text).toBe(JSON_TEXT)
          expect(d.encoding).toBe(littleEndian ? 'utf-16le' : 'utf-16be')
          expect(d.notUtf8).toMatch(/UTF-16/)
        }
  })

  it('ignores a utf-16 label on bytes that are UTF-8, as a JSON recipient does', () => {
    expect(decodeBody(new TextEncoder().encode(JSON_TEXT), 'application/json; charset=utf-16')).toEqual({ text: JSON_TEXT, encoding: 'utf-8' })
  })

  it('says a UTF-8 byte order mark and invalid bytes are not plain UTF-8', () => {
    const withMark = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{}')])
    expect(decodeBody(withMark, 'application/json')).toEqual({ text: '{}', encoding: 'utf-8', notUtf8: 'it starts with a byte order mark (EF BB BF)' })
    expect(decodeBody(new Uint8Array([0x7b, 0xff, 0x7d]), 'application/json')).toMatchObject({ encoding: 'utf-8', notUtf8: 'it is not valid UTF-8' })
  })

  it('reads a declared single-byte charset by its label', () => {
    const d = decodeBody(new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]), 'application/json; charset=iso-8859-1')
    expect(d).toEqual({ text: '{"a":"é"}', encoding: 'iso-8859-1', notUtf8: 'it is not valid UTF-8 (charset=iso-8859-1)' })
  })
})

describe('declaredCharset', () => {
  it('reads the parameter, quoted or not, in any case', () => {
    expect(declaredCharset('application/json; Charset="UTF-16BE"')).toBe('utf-16be')
    expect(declaredCharset('application/json')).toBeUndefined()
    expect(declaredCharset(null)).toBeUndefined()
  })
})
