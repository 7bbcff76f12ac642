/**
 * The forms a secret can travel in, for the tests that scan every output for leaks: as written,
 * JSON-escaped, percent-encoded, form-encoded, Base64 and Base64url (with and without padding),
 * and as \u escapes. Written here, not taken from the redactor's own list (src/core/redact.ts),
 * so that a form the redactor forgets is still looked for.
 */
export function secretForms(value: string): string[] {
  const b64 = btoa(String.fromCharCode(...new TextEncoder().encode(value)))
  const b64url = b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  return [
    value,
    JSON.stringify(value).slice(1, -1),
    encodeURIComponent(value),
    new URLSearchParams([['', value]]).toString().slice(1),
    b64,
    b64.replace(/=+$/, ''),
    b64url,
    [...value].map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
  ]
}

/** Each form of each secret found in the texts, as `name as "start…"`; forms under 8 characters are too common to judge. */
export function leaksIn(texts: readonly string[], secrets: ReadonlyArray<readonly [string, string]>): string[] {
  const leaks: string[] = []
  for (const [name, value] of secrets) for (const f of new Set(secretForms(value))) if (f.length >= 8 && texts.some((t) => t.includes(f))) leaks.push(`${name} as ${JSON.stringify(f.slice(0, 12))}…`)
  return leaks
}
