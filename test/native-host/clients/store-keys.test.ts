/** The store-key vectors of INTEROP.md, measured against Codex 0.171.0 and read from Claude Code 2.1.332. */
import { describe, expect, it } from 'vitest';
import { codexStoreKey } from '../../../native-host/clients/codex/store-key';
import { claudeRefreshLockName, claudeStoreKey } from '../../../native-host/clients/claude-code/store-key';

describe('Codex store key', () => {
  it.each([
    ['mock', 'http://127.0.0.1:18765/mcp', 'mock|e77d6e386d689b97'],
    ['mock', 'http://127.0.0.1:18766/mcp', 'mock|d115d94b72f70bba'],
    ['gmail', 'https://gmailmcp.googleapis.com/mcp/v1', 'gmail|ccf1c9a68b28be24'],
  ])('(%s, %s) → %s', (name, url, key) => {
    expect(codexStoreKey(name, url)).toBe(key);
  });

  it('does not normalize the URL: a trailing slash is another server', () => {
    expect(codexStoreKey('gmail', 'https://gmailmcp.googleapis.com/mcp/v1/')).not.toBe('gmail|ccf1c9a68b28be24');
  });
});

describe('Claude Code store key', () => {
  it('matches Codex for the same name and an http entry without headers', () => {
    expect(claudeStoreKey('gmail', { type: 'http', url: 'https://gmailmcp.googleapis.com/mcp/v1' })).toBe('gmail|ccf1c9a68b28be24');
    expect(claudeStoreKey('mock', { type: 'http', url: 'http://127.0.0.1:18765/mcp', headers: {} })).toBe('mock|e77d6e386d689b97');
  });

  it('leaves type out when the entry has none, and hashes the entry\'s headers', () => {
    const plain = claudeStoreKey('gmail', { type: 'http', url: 'https://gmailmcp.googleapis.com/mcp/v1' });
    expect(claudeStoreKey('gmail', { url: 'https://gmailmcp.googleapis.com/mcp/v1' })).not.toBe(plain);
    expect(claudeStoreKey('gmail', { type: 'http', url: 'https://gmailmcp.googleapis.com/mcp/v1', headers: { 'X-A': '1' } })).not.toBe(plain);
  });

  it('names the refresh lock with every non-alphanumeric character replaced', () => {
    expect(claudeRefreshLockName('my-server|ccf1c9a68b28be24')).toBe('mcp-refresh-my_server_ccf1c9a68b28be24.lock');
  });
});
