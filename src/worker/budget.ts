/**
 * What one invocation spends: fetch subrequests (to tenants, webhooks, Access keys) and calls to
 * bindings (D1, R2, the queue, the gate). Cloudflare limits both per invocation, so every part of
 * the Worker spends through one Budget; the plan of a run keeps each part inside it, and a call
 * past it fails here, clearly, instead of being refused by the platform halfway.
 */
class BudgetExceededError extends Error {}

export class Budget {
  subrequests = 0
  ops = 0
  readonly limit: number
  private readonly underlying: typeof fetch

  // workerd's fetch must not be called as a method of another object: wrapped, not stored.
  constructor(limit: number, underlying: typeof fetch = (input, init) => fetch(input, init)) {
    this.limit = limit
    this.underlying = underlying
  }

  /** A fetch that counts itself. */
  readonly fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    if (this.subrequests + this.ops >= this.limit) return Promise.reject(new BudgetExceededError(`the invocation's budget of ${this.limit} subrequests is spent (MAX_SUBREQUESTS)`))
    this.subrequests++
    return this.underlying(input, init)
  }) as typeof fetch

  /** Counts one call to a binding (a D1 batch or a queue sendBatch is one call). */
  op<T>(call: () => Promise<T>): Promise<T> {
    if (this.subrequests + this.ops >= this.limit) return Promise.reject(new BudgetExceededError(`the invocation's budget of ${this.limit} subrequests is spent (MAX_SUBREQUESTS)`))
    this.ops++
    return call()
  }

  get used(): number {
    return this.subrequests + this.ops
  }
}
