/**
 * The bound on each request the host makes to a server, in a module of its own: `connect` reads it
 * at start-up without loading the OAuth request options (http-options.ts re-exports it).
 */

/** Bounds every request the host makes: a hung server must not hang a login. */
export const REQUEST_TIMEOUT_MS = 15_000;

/**
 * MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS overrides the bound (1 s to 5 min) for slow networks and proxies;
 * anything else in it is ignored rather than trusted.
 */
export function requestTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS);
  return Number.isInteger(value) && value >= 1000 && value <= 300_000 ? value : REQUEST_TIMEOUT_MS;
}
