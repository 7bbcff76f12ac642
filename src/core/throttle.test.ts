import { describe, expect, it } from 'vitest'
import { retryAfterMs, Throttle } from './throttle.ts'

function clock() {
  let t = 1_000_000
  const slept: number[] = []
  return { now: () => t, sleep: async (ms: number) => void (slept.push(ms), (t += ms)), slept }
}

describe('Throttle', () => {
  it('spaces requests to the requests-per-second limit', async () => {
    const c = clock()
    const th = new Throttle({ requestsPerSecond: 4, maxRetries: 2, maxRetryAfterMs: 10_000, ...c })
    for (let i = 0; i < 4; i++) await th.acquire()
    expect(c.slept).toEqual([250, 250, 250])
  })

  it('honours Retry-After on a 429, bounded by maxRetryAfterMs', async () => {
    const c = clock()
    const th = new Throttle({ maxRetries: 2, maxRetryAfterMs: 5_000, ...c })
    expect(th.observe(429, new Headers({ 'retry-after': '2' }))).toBe(2000)
    expect(th.observe(429, new Headers({ 'retry-after': '3600' }))).toBe(5000)
    expect(th.observe(429, new Headers())).toBe(1000)
    expect(th.observe(200, new Headers())).toBeUndefined()
    await th.acquire()
    expect(c.slept).toEqual([5000])
  })

  it('pauses when a rate-limit window is used up (X-Rate-Limit-Remaining: 0)', async () => {
    const c = clock()
    const th = new Throttle({ maxRetries: 0, maxRetryAfterMs: 60_000, ...c })
    th.observe(200, new Headers({ 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(Math.floor(c.now() / 1000) + 3) }))
    await th.acquire()
    expect(c.slept[0]).toBeGreaterThan(2000)
    expect(c.slept[0]).toBeLessThanOrEqual(3000)
  })

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('7', 0)).toBe(7000)
    expect(retryAfterMs(new Date(60_000).toUTCString(), 0)).toBe(60_000)
    expect(retryAfterMs('soon', 0)).toBeUndefined()
  })
})
