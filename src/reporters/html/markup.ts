/**
 * A tagged template for HTML that escapes every interpolated value unless it is already markup:
 * the safety of hono/jsx (nothing from a server response can inject markup) without building a
 * node tree. A 10-target matrix (800 cases with their evidence, 3.4 MB) took ~100–130 ms as a
 * JSX tree; as strings it takes ~15–20 ms.
 *
 * The output is the markup hono/jsx printed for the same views: the same escapes (`&amp;`,
 * `&lt;`, `&gt;`, `&quot;`, `&#39;`), and `false`, `null` and `undefined` render nothing.
 *
 * @module
 */

/** Markup that is already safe: the result of {@link html} or {@link raw}. */
export class Html {
  readonly value: string
  constructor(value: string) {
    this.value = value
  }
  toString(): string {
    return this.value
  }
}

/** What a view may interpolate: text (escaped), numbers, markup, nothing, or a list of those. */
export type Child = Html | string | number | false | null | undefined | readonly Child[]

// Most report text (titles, ids, check names) has nothing to escape: one native search finds that.
// The rest (JSON bodies, quoted values) is copied in slices between the characters to replace,
// which measured faster than a replace() with a callback per match.
// Control characters are shown as visible escapes, as in the terminal (reporters/plain.ts): a
// reader sees that a server sent ESC, CR or U+202E, and no raw control character is in the file.
// Tab and line feed alone are kept: they lay out a body in its <pre> and do nothing else there.
const SPECIAL = /[&<>"'\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/

/** Escapes text for an HTML text node or a double-quoted attribute value. */
function escapeHtml(text: string): string {
  const first = text.search(SPECIAL)
  if (first === -1) return text
  let out = ''
  let last = 0
  for (let i = first; i < text.length; i++) {
    let entity: string
    switch (text.charCodeAt(i)) {
      case 38: // &
        entity = '&amp;'
        break
      case 60: // <
        entity = '&lt;'
        break
      case 62: // >
        entity = '&gt;'
        break
      case 34: // "
        entity = '&quot;'
        break
      case 39: // '
        entity = '&#39;'
        break
      default: {
        const code = text.charCodeAt(i)
        if (!isControl(code)) continue
        entity = code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
      }
    }
    out += text.slice(last, i) + entity
    last = i + 1
  }
  return out + text.slice(last)
}

function isControl(code: number): boolean {
  return (
    (code < 0x20 && code !== 9 && code !== 10) ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x61c ||
    (code >= 0x200b && code <= 0x200f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2060 && code <= 0x2064) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0xfeff
  )
}

function render(v: Child): string {
  if (typeof v === 'string') return escapeHtml(v)
  if (v instanceof Html) return v.value
  if (typeof v === 'number') return String(v)
  if (Array.isArray(v)) {
    let out = ''
    for (const item of v as readonly Child[]) out += render(item)
    return out
  }
  return ''
}

/**
 * Builds markup from a template; every `${value}` is escaped unless it is {@link Html}. Pieces are
 * joined with `+`, which V8 keeps as ropes until the document is written out: joining arrays at
 * every level, or one output array for the whole tree, measured 2–3× slower.
 */
export function html(strings: TemplateStringsArray, ...values: Child[]): Html {
  let out = strings[0]!
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!
  return new Html(out)
}

/** Trusted markup, inserted as is: only for our own constants (the stylesheet, the script). */
export const raw = (markup: string): Html => new Html(markup)
