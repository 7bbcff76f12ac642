/**
 * The one output layer for text a terminal, a CI log or a plain-text file shows: every
 * server-controlled string passes through {@link plain} before it is printed or written in the
 * text summary, Markdown, JUnit or an error message. Control characters (C0, DEL, C1, and the
 * Unicode controls that reorder text) become visible escapes, so a server cannot clear a screen,
 * set a window title, ring a bell or make a line read backwards; long values are cut with their
 * length said. JSON and HTML keep the exact value, with their own escaping.
 *
 * @module
 */

/** C0 (but tab), DEL, C1, and the bidirectional and invisible formatting controls. */
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g

/** How much of one value a line shows. */
const PLAIN_MAX = 500

/** The text with control characters shown as escapes (`\x1b`, `\u202e`), cut at `max` characters. */
export function plain(text: string, max = PLAIN_MAX): string {
  const cut = text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text
  return cut.replace(CONTROLS, (ch) => {
    const code = ch.charCodeAt(0)
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}

/** True when the text holds a character {@link plain} would escape. */
export function hasControls(text: string): boolean {
  CONTROLS.lastIndex = 0
  return CONTROLS.test(text)
}
