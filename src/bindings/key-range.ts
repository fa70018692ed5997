/**
 * The key range [from, to) of all keys starting with a prefix under bytewise
 * (UTF-8, COLLATE "C") order, so a prefix list is an index range scan. UTF-8
 * preserves code point order, so the next code point after the prefix's last
 * one bounds it.
 */
export function prefixRange(prefix: string): { from: string; to: string | null } {
  const points = [...prefix];
  while (points.length > 0) {
    let cp = points.pop()!.codePointAt(0)! + 1;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xe000; // skip the surrogate block
    if (cp <= 0x10ffff) return { from: prefix, to: points.join("") + String.fromCodePoint(cp) };
  }
  return { from: prefix, to: null };
}
