import { describe, expect, it } from 'vitest'
import { TargetGate } from './gate.ts'

describe('the target gate', () => {
  it('serves a confirming run ahead of the waiters that came before it, and in arrival order otherwise (issue 25)', async () => {
    const gate = new TargetGate({} as never, undefined)
    const call = (path: string, holder: string, extra = '') => gate.fetch(new Request(`https://gate${path}?holder=${holder}&limit=1&ttlMs=60000&waitMs=5000${extra}`))
    const order: string[] = []
    const acquire = (holder: string, extra = '') => call('/acquire', holder, extra).then(() => void order.push(holder))
    await acquire('manual-0')
    const waiting = [acquire('manual-1'), acquire('manual-2'), acquire('confirm-1', '&priority=1'), acquire('confirm-2', '&priority=1')]
    for (const holder of ['manual-0', 'confirm-1', 'confirm-2', 'manual-1']) {
      await new Promise((r) => setTimeout(r, 10))
      await call('/release', holder)
    }
    await Promise.all(waiting)
    expect(order).toEqual(['manual-0', 'confirm-1', 'confirm-2', 'manual-1', 'manual-2'])
  })
})
