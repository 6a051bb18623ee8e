import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../../native-host/terminal-text';

describe('terminalSafe', () => {
  it('removes C0/C1 controls, DEL and bidi overrides; keeps newlines only when multiline', () => {
    expect(terminalSafe('a\x1b[31mb\x07c\x7fd\x9be\u202ef\rg')).toBe('a[31mbcdefg');
    expect(terminalSafe('line1\nline2\tx')).toBe('line1 line2 x');
    expect(terminalSafe('line1\nline2\tx', true)).toBe('line1\nline2\tx');
    expect(terminalSafe('https://example.com/ä?q=1')).toBe('https://example.com/ä?q=1');
  });
});
