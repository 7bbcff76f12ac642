import { describe, expect, it } from 'vitest'
import { mapPool, mapPoolLongestFirst } from './engine.ts'

describe('mapPool', () => {
  it('never runs more than the limit at once and keeps the order of the items', async () => {
    let running = 0
    let most = 0
    const out = await mapPool([5, 1, 4, 2, 3], 2, async (n) => {
      most = Math.max(most, ++running)
      await new Promise((done) => setTimeout(done, n))
      running--
      return n * 10
    })
    expect(out).toEqual([50, 10, 40, 20, 30])
    expect(most).toBe(2)
  })
})

describe('mapPoolLongestFirst', () => {
  it('starts the heaviest items first, ties in their order, and returns results in the items order', async () => {
    const started: string[] = []
    const items = ['a:1', 'b:3', 'c:1', 'd:2', 'e:3']
    const out = await mapPoolLongestFirst(
      items,
      1,
      (s) => Number(s.split(':')[1]),
      async (s) => {
        started.push(s)
        return s.toUpperCase()
      },
    )
    expect(started).toEqual(['b:3', 'e:3', 'd:2', 'a:1', 'c:1'])
    expect(out).toEqual(['A:1', 'B:3', 'C:1', 'D:2', 'E:3'])
  })
})
