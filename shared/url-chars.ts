/**
 * URLs limited to RFC 3986's characters: unreserved, reserved, and valid %XX escapes. `new URL()`
 * accepts and keeps more (`|`, `^`, `{`, `` ` ``, a bare `%`); those mean nothing to an OAuth
 * server but something to shells and command lines (cmd.exe pipes on `|`, expands `%VAR%`). A URL
 * that passes `hasOnlyUriChars` can be handed to another program as one inert argument.
 */

const URI_CHAR = /[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]/;
const ONLY_URI_CHARS = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;

export function hasOnlyUriChars(url: string): boolean {
  return ONLY_URI_CHARS.test(url);
}

/**
 * Percent-encodes (as UTF-8) every character outside that set; a `%` that does not start a valid
 * escape becomes `%25`. Valid escapes and allowed characters are kept as they are, so an already
 * clean URL comes back unchanged.
 */
export function encodeToUriChars(url: string): string {
  let out = '';
  for (let i = 0; i < url.length; ) {
    const cp = url.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (ch === '%') {
      out += /^[0-9A-Fa-f]{2}$/.test(url.slice(i + 1, i + 3)) ? '%' : '%25';
    } else if (URI_CHAR.test(ch)) {
      out += ch;
    } else {
      // A lone surrogate cannot be UTF-8 encoded: U+FFFD stands in for it, as TextEncoder does.
      for (const byte of new TextEncoder().encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    i += ch.length;
  }
  return out;
}
