import { describe, expect, it } from 'vitest'
import { jsonMembers } from './json-members.ts'

describe('jsonMembers', () => {
  it('finds every copy of a member the parser would drop, and names the duplicates', () => {
    const text = '{"access_token":"first","token_type":"Bearer","access_token":"second","expires_in":3600,"scope":"a","scope":"b"}'
    expect(JSON.parse(text)).toMatchObject({ access_token: 'second' })
    const m = jsonMembers(text)
    expect(m.strings.filter(([n]) => n === 'access_token').map(([, v]) => v)).toEqual(['first', 'second'])
    expect(m.duplicates).toEqual(['access_token', 'scope'])
  })

  it('reads names written with escapes as the parser does, and nested objects apart', () => {
    const m = jsonMembers('{"access\\u005ftoken":"x","access_token":"y","a":{"k":1,"n":[{"k":2,"k":3}]},"b":{"k":1}}')
    expect(m.duplicates).toEqual(['access_token', 'a.n[].k'])
    expect(m.strings).toEqual([
      ['access_token', 'x'],
      ['access_token', 'y'],
    ])
  })

  it('holds no duplicate in a plain response, whatever its values contain', () => {
    const m = jsonMembers('{"error":"invalid_client","error_description":"a \\"quoted\\": {value}, and, commas","n":[1,2,{"x":"y"}],"ok":true}')
    expect(m.duplicates).toEqual([])
    expect(m.strings.map(([n]) => n)).toEqual(['error', 'error_description', 'x'])
  })

  it('still finds secrets in truncated or invalid JSON', () => {
    expect(jsonMembers('{"access_token":"abc","refresh_token":"de').strings).toEqual([
      ['access_token', 'abc'],
      ['refresh_token', 'de'],
    ])
    expect(jsonMembers('<pre>{"client_secret" : "s3cr\\x"}</pre>').strings).toEqual([['client_secret', 's3cr\\x']])
  })
})
