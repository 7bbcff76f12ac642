/**
 * Reading JWTs without trusting them: decoding is separate from verification.
 *
 * @module
 */
import { decodeJwt, decodeProtectedHeader } from 'jose'

export interface DecodedJwt {
  header: Record<string, unknown>
  claims: Record<string, unknown>
}

const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

/** Decodes a compact JWS whose payload is a JSON object; undefined for anything else (opaque). */
export function tryDecodeJwt(token: string): DecodedJwt | undefined {
  if (!JWS_COMPACT.test(token)) return undefined
  try {
    return {
      header: decodeProtectedHeader(token) as Record<string, unknown>,
      claims: decodeJwt(token) as Record<string, unknown>,
    }
  } catch {
    return undefined
  }
}
