/** Small formatting shared by the reporters. */

/** A score as a whole percentage, or "n/a" where nothing was judged. */
export const percent = (v: number | null): string => (v === null ? 'n/a' : `${Math.round(v * 100)}%`)
