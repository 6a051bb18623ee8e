/**
 * VS Code's `mcp.json` is JSON with comments (`//`, `/* *\/`) and trailing commas, as every VS Code
 * settings file. This turns such text into plain JSON for JSON.parse, leaving strings untouched;
 * anything else malformed still fails in JSON.parse. The file itself is only ever read.
 */
export function stripJsonComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      // Copy a whole string, escapes included.
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
    } else if (c === ',') {
      // A comma followed only by whitespace (and comments, already dropped) before } or ] is trailing.
      let j = i + 1;
      let rest = '';
      while (j < text.length) {
        if (/\s/.test(text[j]!)) j++;
        else if (text[j] === '/' && text[j + 1] === '/') while (j < text.length && text[j] !== '\n') j++;
        else if (text[j] === '/' && text[j + 1] === '*') {
          const end = text.indexOf('*/', j + 2);
          j = end === -1 ? text.length : end + 2;
        } else {
          rest = text[j]!;
          break;
        }
      }
      if (rest !== '}' && rest !== ']') out += c;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
