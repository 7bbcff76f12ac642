/**
 * What the Worker receives from the platform: its bindings. Secrets (client secrets, private
 * keys, the API token) are Worker secrets; the target list is a configuration variable. Nothing
 * of either ever comes from a request.
 */

/** The part of Cloudflare's KV namespace the Worker uses. */
export interface KvNamespace {
  get(key: string): Promise<string | null>
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>
}

export interface Env {
  REPORTS: KvNamespace
  /** Bearer token for the API and the pages (a secret: `wrangler secret put API_TOKEN`). */
  API_TOKEN?: string
  /** The configured targets: a JSON array of target files' contents (wrangler.toml [vars]). */
  GRANTCHECK_TARGETS?: string
  /** Where a short JSON summary goes when a scheduled run drifts (new failures). Optional. */
  DRIFT_WEBHOOK_URL?: string
  /** Subrequests one invocation may make (Cloudflare: 50 on the free plan, 1000 on paid). */
  MAX_SUBREQUESTS?: string
  /** Every other binding: Worker secrets named by the targets' { "env": "VAR" } references. */
  [secret: string]: unknown
}
