/**
 * Being a gentle client: requests per second per target, pauses the server asks for (HTTP 429
 * Retry-After, X-Rate-Limit-* at zero), and a bounded number of retries.
 *
 * @see [RFC 9110 §10.2.3 Retry-After](https://www.rfc-editor.org/rfc/rfc9110.html#section-10.2.3)
 * @module
 */

export interface ThrottleOptions {
  requestsPerSecond?: number
  maxRetries: number
  maxRetryAfterMs: number
  now: () => number
  sleep: (ms: number) => Promise<void>
}

/** When no Retry-After comes with a 429, this long is waited before a retry. */
const DEFAULT_RETRY_MS = 1000

export class Throttle {
  #next = 0
  #pausedUntil = 0
  readonly options: ThrottleOptions
  constructor(options: ThrottleOptions) {
    this.options = options
  }

  /** Waits until the next request may go. */
  async acquire(): Promise<void> {
    const { now, sleep, requestsPerSecond } = this.options
    const interval = requestsPerSecond ? 1000 / requestsPerSecond : 0
    const at = Math.max(now(), this.#next, this.#pausedUntil)
    this.#next = at + interval
    const wait = at - now()
    if (wait > 0) await sleep(wait)
  }

  /**
   * Reads what a response says about rate limits: a 429's Retry-After, or a rate-limit window at
   * zero (Okta's X-Rate-Limit-*, Auth0's X-RateLimit-*). Returns how long to wait before retrying
   * a 429, bounded; undefined when the response is not a 429.
   */
  observe(status: number, headers: Headers): number | undefined {
    const { now, maxRetryAfterMs } = this.options
    const remaining = headers.get('x-rate-limit-remaining') ?? headers.get('x-ratelimit-remaining')
    const reset = headers.get('x-rate-limit-reset') ?? headers.get('x-ratelimit-reset')
    if (remaining === '0' && reset && /^\d+$/.test(reset)) {
      // Reset is a UTC epoch in seconds for both providers.
      this.#pausedUntil = Math.max(this.#pausedUntil, Math.min(Number(reset) * 1000, now() + maxRetryAfterMs))
    }
    if (status !== 429) return undefined
    const wait = Math.min(retryAfterMs(headers.get('retry-after'), now()) ?? DEFAULT_RETRY_MS, maxRetryAfterMs)
    this.#pausedUntil = Math.max(this.#pausedUntil, now() + wait)
    return wait
  }
}

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date; undefined if unreadable. */
export function retryAfterMs(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}
