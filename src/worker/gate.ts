/**
 * One Durable Object per target: the gate every run part (and every run's completion) passes
 * through, so that however many runs are requested at once, at most `limit` of them reach the
 * tenant together. Waiters are served in arrival order, except that a `priority` waiter (a
 * confirming run's part, issue 25) goes ahead of every other kind: a confirmation is not served
 * behind a backlog of manual runs that reached the gate before it. A lease expires after its TTL,
 * so a consumer that dies does not close the gate for good.
 */
import type { Budget } from './budget.ts'
import type { DurableObjectNamespace, DurableObjectState } from './env.ts'

interface Waiter {
  holder: string
  priority: boolean
  limit: number
  ttlMs: number
  grant: () => void
}

export class TargetGate {
  /** holder → lease expiry (ms since the epoch). */
  private readonly leases = new Map<string, number>()
  private readonly waiting: Waiter[] = []
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(_state: DurableObjectState, _env: unknown) {}

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const holder = url.searchParams.get('holder') ?? ''
    if (!holder) return new Response('holder missing', { status: 400 })
    if (url.pathname === '/release') {
      this.leases.delete(holder)
      this.serve()
      return Response.json({ released: true })
    }
    if (url.pathname !== '/acquire') return new Response('not found', { status: 404 })
    const limit = Math.max(1, Number(url.searchParams.get('limit')) || 1)
    const ttlMs = Math.max(1_000, Number(url.searchParams.get('ttlMs')) || 60_000)
    const waitMs = Math.max(0, Number(url.searchParams.get('waitMs')) || 0)
    const granted = await new Promise<boolean>((resolve) => {
      const priority = url.searchParams.get('priority') === '1'
      const waiter: Waiter = { holder, priority, limit, ttlMs, grant: () => resolve(true) }
      const behind = priority ? this.waiting.findIndex((w) => !w.priority) : -1
      if (behind < 0) this.waiting.push(waiter)
      else this.waiting.splice(behind, 0, waiter)
      this.serve()
      if (this.waiting.includes(waiter))
        setTimeout(() => {
          const i = this.waiting.indexOf(waiter)
          if (i < 0) return
          this.waiting.splice(i, 1)
          resolve(false)
        }, waitMs)
    })
    return Response.json({ granted, active: this.leases.size })
  }

  /** Grants leases to waiters in order while there is room, and wakes up when a lease expires. */
  private serve(): void {
    const now = Date.now()
    for (const [h, until] of this.leases) if (until <= now) this.leases.delete(h)
    while (this.waiting.length && this.leases.size < this.waiting[0]!.limit) {
      const w = this.waiting.shift()!
      this.leases.set(w.holder, now + w.ttlMs)
      w.grant()
    }
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.waiting.length && this.leases.size) {
      const next = Math.min(...this.leases.values()) - now
      this.timer = setTimeout(() => this.serve(), Math.max(10, next))
    }
  }
}

/**
 * Passes the gate of `target`, runs `work`, and opens the gate again. Undefined when the gate
 * stayed closed for `waitMs` (the caller retries the message later).
 */
export async function throughGate<T>(
  gates: DurableObjectNamespace,
  budget: Budget,
  target: string,
  holder: string,
  options: { limit: number; ttlMs: number; waitMs: number; priority?: boolean },
  work: () => Promise<T>,
): Promise<{ done: T } | undefined> {
  const stub = gates.get(gates.idFromName(target))
  const q = (path: string, extra = '') => `https://gate${path}?holder=${encodeURIComponent(holder)}${extra}`
  const acquired = await budget.op(() => stub.fetch(q('/acquire', `&limit=${options.limit}&ttlMs=${options.ttlMs}&waitMs=${options.waitMs}${options.priority ? '&priority=1' : ''}`)))
  const { granted } = (await acquired.json()) as { granted: boolean }
  if (!granted) return undefined
  try {
    return { done: await work() }
  } finally {
    await budget.op(() => stub.fetch(q('/release'))).then((r) => r.body?.cancel())
  }
}
