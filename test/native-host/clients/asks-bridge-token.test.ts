import { describe, expect, it } from 'vitest';
import { asksBridgeToken, asksTokenMessage } from '../../../native-host/clients/asks-bridge-token';

describe('asksBridgeToken', () => {
  it.each([
    'mcp-login-bridge token https://a.example/mcp --headers',
    '/usr/local/bin/mcp-login-bridge token https://a.example/mcp --headers',
    "'/usr/bin/node' '/opt/mlb/native-host/bin/mcp-login-bridge.cjs' 'token' 'https://a.example/mcp' '--headers'",
    '"C:\\\\Program Files\\\\nodejs\\\\node.exe" "C:\\\\mlb\\\\dist\\\\native-host\\\\mcp-login-bridge.mjs" token gmail --headers',
    "DBUS_SESSION_BUS_ADDRESS='unix:path=/x' mcp-login-bridge token gmail",
  ])('recognises %s', (helper) => expect(asksBridgeToken(helper)).toBe(true));

  it.each([
    undefined,
    42,
    '',
    'get-token.sh',
    'mcp-login-bridge status --json',
    'mcp-login-bridge tokens',
    'echo mcp-login-bridge; other token',
  ])('does not take %s for it', (helper) => expect(asksBridgeToken(helper)).toBe(false));

  it('says why nothing was written and how to remove an older copy, naming no secret', () => {
    const text = asksTokenMessage('Codex', 'gmail', 'http_headers_helper', 'codex', 'https://a.example/mcp');
    expect(text).toContain('http_headers_helper');
    expect(text).toContain('mcp-login-bridge logout https://a.example/mcp --client codex --no-revoke');
  });
});
