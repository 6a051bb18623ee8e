/**
 * A native tool's half of a login against an MCP server's own authorization server (the proxy
 * fixture), as Codex or mcp-remote do it: its own loopback listener, PKCE, and the code exchange.
 * The browser half is the caller's `open` (Chromium or Firefox), where the extension works.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { ProxyAuthorizationServer } from '../fixtures/proxy-authorization-server';

export interface ToolTokens {
  access_token: string;
  refresh_token?: string;
}

export async function toolLoginViaProxy(
  proxy: ProxyAuthorizationServer,
  clientId: string,
  open: (url: string) => Promise<void>,
): Promise<{ tokens: ToolTokens; redirectUri: string }> {
  const verifier = randomBytes(32).toString('base64url');
  let resolveCallback!: (u: URL) => void;
  const callback = new Promise<URL>((r) => (resolveCallback = r));
  const listener: Server = createServer((req, res) => {
    resolveCallback(new URL(req.url ?? '/', 'http://127.0.0.1'));
    res.end('Authentication complete. You may close this window.');
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const redirectUri = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/callback`;
  try {
    const authorize = new URL(`${proxy.publicOrigin}/authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      state: 'tool-state',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      scope: 'mcp',
    }).toString();
    await open(authorize.href);
    const cb = await Promise.race([callback, new Promise<never>((_, j) => setTimeout(() => j(new Error('no callback reached the tool')), 20_000))]);
    expect(cb.searchParams.get('state')).toBe('tool-state');
    const token = await fetch(`${proxy.internalOrigin}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: cb.searchParams.get('code') ?? '', code_verifier: verifier, redirect_uri: redirectUri, client_id: clientId }),
    });
    expect(token.status).toBe(200);
    return { tokens: (await token.json()) as ToolTokens, redirectUri };
  } finally {
    listener.closeAllConnections();
    await new Promise((r) => listener.close(r));
  }
}
