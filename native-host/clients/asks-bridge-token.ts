/**
 * Whether a client's headers helper (Codex `http_headers_helper`, Claude Code `headersHelper`: a
 * shell command whose output becomes request headers) runs `mcp-login-bridge token`. Such a server
 * asks us for its token on every connection, so it must hold no stored login of its own: the real
 * Codex and Claude Code still load, refresh and rewrite a stored login next to the helper, and with
 * a provider that rotates refresh tokens that makes a second refresher of the same login, which
 * the provider revokes for everyone the first time the two overlap.
 *
 * The command is matched by what names the program: `mcp-login-bridge` (the installed command, or
 * the path of its bundle, `…/mcp-login-bridge.mjs` / `.cjs`, run by node), then the `token` verb as
 * the next word, quoted or not.
 */
const RUNS_TOKEN = /mcp-login-bridge(?:\.[cm]?js)?['"]?\s+['"]?token['"]?(?:\s|$)/;

export function asksBridgeToken(helper: unknown): boolean {
  return typeof helper === 'string' && RUNS_TOKEN.test(helper);
}

/** The notice's text: why no copy was written, and what to do about a copy written before. */
export function asksTokenMessage(clientLabel: string, serverName: string, setting: string, client: string, serverUrl: string): string {
  return `${clientLabel} (server "${serverName}") asks mcp-login-bridge token for its token through its ${setting}, so no copy of the login was written there: a stored copy would be refreshed by ${clientLabel} as well. If it still holds one from before, remove it with: mcp-login-bridge logout ${serverUrl} --client ${client} --no-revoke`;
}
