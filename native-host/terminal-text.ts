/**
 * Text another process supplied (a browser host over the bridge: its version, rule ids, URLs,
 * error messages) is printed to the user's terminal. Control characters there could move the
 * cursor, rewrite earlier lines, set the window title or hide a link's real target (ESC, OSC 8),
 * and bidi overrides could reorder what is shown; none belongs in what we print, so they go.
 */
// C0 controls except tab and newline, DEL, C1 controls, and Unicode bidi embeddings/overrides/isolates.
const UNSAFE = /[\x00-\x08\x0B-\x1F\x7F-\x9F\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** `text` without terminal control characters; newlines kept only when `multiline`. */
export function terminalSafe(text: string, multiline = false): string {
  const safe = text.replace(UNSAFE, '');
  return multiline ? safe : safe.replace(/[\t\n]/g, ' ');
}
