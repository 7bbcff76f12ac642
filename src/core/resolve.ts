/**
 * Turns a validated target into one with its secrets in hand, looked up through an injected
 * `lookup` (the environment in the CLI, secret bindings in the Worker).
 *
 * @module
 */
import type { Profile } from '../schema/profile.ts'
import type { AuthMethod, SecretRef, Target } from '../schema/target.ts'
import { InputInvalidError, type InputIssue } from './errors.ts'
import { Redactor } from './redact.ts'

export interface ResolvedClient {
  role: string
  clientId: string
  authMethod: AuthMethod
  secret?: string
  privateJwk?: Record<string, unknown>
  /** The shell variable a reproducing curl line reads the secret or key from. */
  secretVar: string
  /** Where the secret came from, for the report: `env:VAR` or `literal`. */
  secretSource: string
  /** The certificate the client presents in mutual TLS (RFC 8705), when it has one. */
  certificate?: ClientCertificate
}

/**
 * A client certificate as a transport presents it: PEM certificate and key (the CLI, Deno), or the
 * name of the Worker's mtls_certificates binding. `id` tells certificates apart without their key.
 */
export interface ClientCertificate {
  id: string
  certPem?: string
  keyPem?: string
  binding?: string
  /** The environment variables holding the PEM texts, for the curl line. */
  certVar?: string
  keyVar?: string
}

export interface ResolvedTarget {
  target: Target
  clients: Record<string, ResolvedClient>
  redactor: Redactor
  /** The provider profile the target names, when it names one (loaded by the adapter). */
  profile?: Profile
  /** Certificates (PEM) the server's TLS certificate may chain to, besides the public ones. */
  caPem?: string
}

export type SecretLookup = (name: string) => string | undefined

/**
 * Resolves every secret reference at once, so that all missing variables are reported together.
 *
 * @throws InputInvalidError (`CC_SECRET_MISSING`) naming the file, the field and the variable.
 */
export function resolveTarget(target: Target, lookup: SecretLookup, file: string): ResolvedTarget {
  const issues: InputIssue[] = []
  const redactor = new Redactor()
  const clients: Record<string, ResolvedClient> = {}
  for (const [role, client] of Object.entries(target.clients)) {
    const path = `clients.${role}`
    const resolved: ResolvedClient = {
      role,
      clientId: client.clientId,
      authMethod: client.authMethod,
      secretVar: `${role.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}_CLIENT_SECRET`,
      secretSource: 'none',
    }
    const ref: SecretRef | undefined = client.authMethod === 'private_key_jwt' ? client.privateJwk : client.clientSecret
    const field = client.authMethod === 'private_key_jwt' ? 'privateJwk' : 'clientSecret'
    const value = readSecret(ref, lookup)
    if (ref && typeof ref === 'object') resolved.secretVar = ref.env
    resolved.secretSource = ref === undefined ? 'none' : typeof ref === 'object' ? `env:${ref.env}` : 'literal'
    if (ref && value === undefined) {
      issues.push({ path: `${path}.${field}.env`, message: `environment variable ${(ref as { env: string }).env} is not set` })
    } else if (value !== undefined && field === 'privateJwk') {
      const jwk = parseJwk(value)
      if (typeof jwk === 'string') issues.push({ path: `${path}.${field}`, message: jwk })
      else {
        resolved.privateJwk = jwk
        redactor.addJwk(jwk, `${role} private key`)
      }
    } else if (value !== undefined) {
      resolved.secret = value
      redactor.add(value, `${role} client secret`)
    }
    const certPem = readSecret(client.certificate, lookup)
    const keyPem = readSecret(client.certificateKey, lookup)
    for (const [field, ref, value] of [
      ['certificate', client.certificate, certPem],
      ['certificateKey', client.certificateKey, keyPem],
    ] as const)
      if (ref !== undefined && value === undefined) issues.push({ path: `${path}.${field}.env`, message: `environment variable ${(ref as { env: string }).env} is not set` })
    if (certPem !== undefined && !/-----BEGIN CERTIFICATE-----/.test(certPem)) issues.push({ path: `${path}.certificate`, message: 'is not a PEM certificate (the value is not shown)' })
    if (keyPem !== undefined) {
      if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyPem)) issues.push({ path: `${path}.certificateKey`, message: 'is not a PEM private key (the value is not shown)' })
      redactor.add(keyPem, `${role} certificate key`)
      // A server that echoes part of the key echoes its Base64 lines.
      for (const line of keyPem.split(/\r?\n/)) if (line.length >= 32 && !line.startsWith('-----')) redactor.add(line, `${role} certificate key`)
    }
    const varOf = (ref: SecretRef | undefined) => (ref !== undefined && typeof ref === 'object' ? ref.env : undefined)
    if (client.certificateBinding) resolved.certificate = { id: `binding:${client.certificateBinding}`, binding: client.certificateBinding, ...(certPem ? { certPem } : {}) }
    else if (certPem && keyPem) resolved.certificate = { id: `client:${role}`, certPem, keyPem, certVar: varOf(client.certificate), keyVar: varOf(client.certificateKey) }
    clients[role] = resolved
  }
  const caPem = readSecret(target.caCertificates, lookup)
  if (target.caCertificates && caPem === undefined) issues.push({ path: 'caCertificates.env', message: `environment variable ${(target.caCertificates as { env: string }).env} is not set` })
  if (issues.length) throw new InputInvalidError('CC_SECRET_MISSING', file, issues)
  return { target, clients, redactor, ...(caPem ? { caPem } : {}) }
}

function readSecret(ref: SecretRef | undefined, lookup: SecretLookup): string | undefined {
  if (ref === undefined) return undefined
  if (typeof ref === 'string') return ref
  const v = lookup(ref.env)
  return v === undefined || v === '' ? undefined : v
}

/** Parses a private JWK; returns an error message (never quoting the value) on failure. */
function parseJwk(text: string): Record<string, unknown> | string {
  let jwk: unknown
  try {
    jwk = JSON.parse(text)
  } catch {
    return 'is not JSON: a private JWK is expected (the value is not shown)'
  }
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk)) return 'is not a JSON object (a private JWK)'
  const k = jwk as Record<string, unknown>
  if (typeof k.kty !== 'string' || (k.kty !== 'oct' && typeof k.d !== 'string')) return 'is not a private JWK: "kty" and the private parameter "d" are required'
  return k
}
