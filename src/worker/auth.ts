/** Bearer-token authorization for the API and pages, compared in constant time. */

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
}

/**
 * True when `header` is `Bearer <expected>`. Both sides are hashed first, so the comparison takes
 * the same time whatever the input's length or content.
 */
export async function bearerMatches(header: string | undefined, expected: string): Promise<boolean> {
  const given = header?.match(/^Bearer\s+(.+)$/i)?.[1] ?? ''
  const [a, b] = await Promise.all([digest(given), digest(expected)])
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0 && given.length > 0
}
