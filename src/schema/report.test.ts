import { describe, expect, it } from 'vitest'
import { ExchangeSchema } from './report.ts'

describe('report exchanges', () => {
  it('keep headers as pairs, any name included, and read version 1 objects into pairs', () => {
    const pairs = ExchangeSchema.parse({
      label: 'x',
      request: {
        method: 'GET',
        url: 'https://a',
        headers: [
          ['__proto__', 'p'],
          ['constructor', 'c'],
        ],
      },
      durationMs: 0,
      curl: '',
    })
    expect(pairs.request.headers).toEqual([
      ['__proto__', 'p'],
      ['constructor', 'c'],
    ])
    const v1 = ExchangeSchema.parse(JSON.parse('{"label":"x","request":{"method":"GET","url":"https://a","headers":{"Accept":"application/json","__proto__":"p"}},"durationMs":0,"curl":""}'))
    expect(v1.request.headers).toEqual([
      ['Accept', 'application/json'],
      ['__proto__', 'p'],
    ])
  })
})
