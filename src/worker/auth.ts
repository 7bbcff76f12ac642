/**
 * Who is asking, and what they may do. Three ways in:
 * - `Authorization: Bearer <token>` (CI jobs, scripts): API_TOKEN has the run role, READ_TOKEN
 *   the read role. Compared in constant time.
 * - Cloudflare Access, where configured: the `Cf-Access-Jwt-Assertion` JWT, verified with jose
 *   against the team's keys, issuer and the application's AUD; ACCESS_RUNNERS may run.
 * - Otherwise a login form that exchanges a token for a signed session cookie (HttpOnly,
 *   Secure, SameSite=Strict), so that a person can open the dashboard in a browser.
 * A browser-borne identity (cookie, Access) changes nothing without a CSRF token bound to it.
 */
import { createRemoteJWKSet, customFetch, jwtVerify } from 'jose'
import type { Env } from './env.ts'

export type Role = 'read' | 'run'
export interface Identity {
  role: Role
  /** Who, as shown on the dashboard: "API token", an e-mail address. */
  who: string
  via: 'bearer' | 'session' | 'access'
  /** What CSRF tokens are bound to: the session id, or the Access subject. */
  binding: string
}

const SESSION_COOKIE = 'grantcheck_session'
const SESSION_SECONDS = 8 * 3600
const enc = new TextEncoder()

function b64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
}
function fromB64url(s: string): Uint8Array {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/')
  return Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0))
}

async function hmac(key: Uint8Array, text: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, enc.encode(text)))
}

/** Equal in constant time: both sides hashed first, so neither length nor content shows in the timing. */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([crypto.subtle.digest('SHA-256', enc.encode(given)), crypto.subtle.digest('SHA-256', enc.encode(expected))])
  const x = new Uint8Array(a)
  const y = new Uint8Array(b)
  let diff = 0
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!
  return diff === 0 && given.length > 0
}

/** The role a token grants, if any. */
export async function roleOfToken(token: string, env: Env): Promise<Role | undefined> {
  if (env.API_TOKEN && (await sameSecret(token, env.API_TOKEN))) return 'run'
  if (env.READ_TOKEN && (await sameSecret(token, env.READ_TOKEN))) return 'read'
  return undefined
}

/** The key sessions and CSRF tokens are signed with: SESSION_SECRET, else one derived from API_TOKEN. */
async function signingKey(env: Env): Promise<Uint8Array | undefined> {
  if (env.SESSION_SECRET) return enc.encode(env.SESSION_SECRET)
  return env.API_TOKEN ? hmac(enc.encode(env.API_TOKEN), 'grantcheck session key, version 1') : undefined
}

/** A session cookie value: `<payload>.<signature>`, the payload naming role, who and expiry. */
export async function createSession(env: Env, role: Role, who: string, now: number): Promise<string> {
  const key = await signingKey(env)
  if (!key) throw new Error('no key to sign sessions with (API_TOKEN or SESSION_SECRET)')
  const sid = b64url(crypto.getRandomValues(new Uint8Array(16)))
  const payload = b64url(enc.encode(JSON.stringify({ r: role, w: who, s: sid, e: Math.floor(now / 1000) + SESSION_SECONDS })))
  return `${payload}.${b64url(await hmac(key, payload))}`
}

export function sessionCookie(value: string): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${SESSION_SECONDS}`
}
export const CLEAR_SESSION = `${SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`

async function sessionIdentity(cookieHeader: string | undefined, env: Env, now: number): Promise<Identity | undefined> {
  const value = cookieHeader
    ?.split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${SESSION_COOKIE}=`))
    ?.slice(SESSION_COOKIE.length + 1)
  const [payload, sig] = value?.split('.') ?? []
  const key = await signingKey(env)
  if (!payload || !sig || !key) return undefined
  if (!(await sameSecret(sig, b64url(await hmac(key, payload))))) return undefined
  try {
    const s = JSON.parse(new TextDecoder().decode(fromB64url(payload))) as { r: Role; w: string; s: string; e: number }
    if (typeof s.e !== 'number' || s.e * 1000 <= now || (s.r !== 'read' && s.r !== 'run')) return undefined
    return { role: s.r, who: s.w, via: 'session', binding: `session:${s.s}` }
  } catch {
    return undefined
  }
}

const jwksByTeam = new Map<string, ReturnType<typeof createRemoteJWKSet>>()

/** The Access identity of the request, when Access is configured and its JWT verifies. */
async function accessIdentity(request: Request, env: Env, fetchImpl: typeof fetch): Promise<Identity | undefined> {
  const team = env.ACCESS_TEAM_DOMAIN?.replace(/\/+$/, '')
  const token = request.headers.get('cf-access-jwt-assertion')
  if (!team || !env.ACCESS_AUD || !token) return undefined
  let jwks = jwksByTeam.get(team)
  if (!jwks) {
    jwks = createRemoteJWKSet(new URL(`${team}/cdn-cgi/access/certs`), { [customFetch]: fetchImpl })
    jwksByTeam.set(team, jwks)
  }
  try {
    const { payload } = await jwtVerify(token, jwks, { issuer: team, audience: env.ACCESS_AUD, algorithms: ['RS256', 'ES256'] })
    const who = typeof payload.email === 'string' ? payload.email : String(payload.sub ?? '')
    if (!who) return undefined
    const runners = (env.ACCESS_RUNNERS ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean)
    return { role: runners.includes(who.toLowerCase()) ? 'run' : 'read', who, via: 'access', binding: `access:${payload.sub ?? who}` }
  } catch {
    return undefined
  }
}

export function accessConfigured(env: Env): boolean {
  return !!env.ACCESS_TEAM_DOMAIN && !!env.ACCESS_AUD
}

/** Who the request comes from: a bearer token first, then Access (if configured), else the session cookie. */
export async function identify(request: Request, env: Env, now: number, fetchImpl: typeof fetch = fetch): Promise<Identity | undefined> {
  const bearer = request.headers.get('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1]
  if (bearer) {
    const role = await roleOfToken(bearer, env)
    return role ? { role, who: role === 'run' ? 'API token' : 'read-only token', via: 'bearer', binding: 'bearer' } : undefined
  }
  if (accessConfigured(env)) return accessIdentity(request, env, fetchImpl)
  return sessionIdentity(request.headers.get('cookie') ?? undefined, env, now)
}

/** The CSRF token of an identity: the same for the life of its session, useless with any other. */
export async function csrfToken(identity: Identity, env: Env): Promise<string> {
  const key = await signingKey(env)
  return key ? b64url(await hmac(key, `csrf:${identity.binding}`)) : ''
}

/**
 * Whether a state-changing request may proceed: bearer requests always (no browser attaches a
 * bearer token by itself); browser identities only from this origin and with their CSRF token.
 */
export async function csrfAllows(request: Request, identity: Identity, env: Env, token: string | undefined): Promise<boolean> {
  if (identity.via === 'bearer') return true
  const origin = request.headers.get('origin')
  if (origin && origin !== new URL(request.url).origin) return false
  if (request.headers.get('sec-fetch-site') === 'cross-site') return false
  return !!token && (await sameSecret(token, await csrfToken(identity, env)))
}
