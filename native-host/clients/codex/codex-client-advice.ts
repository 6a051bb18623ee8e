/**
 * What Codex's config must say for Codex to refresh a login by itself. Codex sends the client
 * secret only from `[mcp_servers.<name>.oauth] client_secret` in config.toml (HTTP Basic, with
 * `client_id` from the same table), never from the stored login; and a configured `client_id`
 * that differs from the stored one makes Codex ask for a new login (INTEROP.md).
 */
import type { StoredCredential } from '../../stores/credential';
import type { CodexServerConfig } from './codex-config';

export type CodexClientAdvice =
  | { kind: 'ok' }
  /** A confidential client (Google desktop apps): these lines must be in config.toml. */
  | { kind: 'missing-secret'; clientId: string; missing: ('client_id' | 'client_secret')[] }
  /** config.toml names another client: Codex would refuse the stored login. */
  | { kind: 'client-id-mismatch'; configured: string; stored: string };

export function codexClientAdvice(server: CodexServerConfig, credential: Pick<StoredCredential, 'clientId' | 'clientSecret' | 'tokenEndpointAuthMethod'>): CodexClientAdvice {
  const configuredId = server.oauth?.clientId;
  if (configuredId !== undefined && configuredId !== credential.clientId) {
    return { kind: 'client-id-mismatch', configured: configuredId, stored: credential.clientId };
  }
  const confidential = Boolean(credential.clientSecret) && credential.tokenEndpointAuthMethod !== 'none';
  if (!confidential) return { kind: 'ok' };
  const missing: ('client_id' | 'client_secret')[] = [];
  if (configuredId === undefined) missing.push('client_id');
  if (!server.oauth?.clientSecret) missing.push('client_secret');
  return missing.length ? { kind: 'missing-secret', clientId: credential.clientId, missing } : { kind: 'ok' };
}

/** A TOML table header for `[mcp_servers.<name>.oauth]`, quoting the name when it is not a bare key. */
export function codexOauthTableHeader(serverName: string): string {
  const key = /^[A-Za-z0-9_-]+$/.test(serverName) ? serverName : JSON.stringify(serverName);
  return `[mcp_servers.${key}.oauth]`;
}

/**
 * The sentence `login` and `status` show: which lines to add, with the secret's place held by a
 * pointer to where the user keeps it (a client secret never goes into a message).
 */
export function describeCodexAdvice(advice: CodexClientAdvice, serverName: string, configPath: string, secretSource: string): string | undefined {
  if (advice.kind === 'ok') return undefined;
  if (advice.kind === 'client-id-mismatch') {
    return (
      `Codex's ${configPath} sets client_id "${advice.configured}" for ${serverName}, but this login used client "${advice.stored}", ` +
      `so Codex would ask for a new login: change client_id under ${codexOauthTableHeader(serverName)} to "${advice.stored}" (and its client_secret to match).`
    );
  }
  const lines = [codexOauthTableHeader(serverName)];
  if (advice.missing.includes('client_id')) lines.push(`client_id = ${JSON.stringify(advice.clientId)}`);
  if (advice.missing.includes('client_secret')) lines.push(`client_secret = "<the client secret, as in ${secretSource}>"`);
  return (
    `Codex refreshes ${serverName} only with the client secret in its config: add to ${configPath}:\n  ${lines.join('\n  ')}\n` +
    `or run the login again with --write-config to let mcp-login-bridge add them (comments and order are kept).`
  );
}
