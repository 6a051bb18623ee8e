/**
 * The store check before a login: the clients' preflight through their adapters, and LoginService
 * stopping in `begin` before any request leaves (no discovery, no registration, no authorize URL)
 * when the bridge's store or a client's cannot be written.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientAdapter, ConfiguredServer } from '../../../native-host/clients/client-adapter';
import { EMPTY_CONFIG } from '../../../native-host/config';
import { LoginService } from '../../../native-host/oauth/login-service';
import { ClientLogins } from '../../../native-host/clients/client-logins';
import { checkClientStoresWritable } from '../../../native-host/oauth/store-preflight';
import type { CredentialTarget } from '../../../native-host/stores/credential';
import { ErrorCode, ProtocolError } from '../../../shared/errors';

const URL_A = 'http://127.0.0.1:1/mcp';

function adapter(id: 'codex' | 'claude-code', servers: Array<Partial<ConfiguredServer>>, refuse: (name: string) => string | undefined): ClientAdapter & { checked: string[] } {
  const checked: string[] = [];
  return {
    id,
    label: id,
    checked,
    discover: async () => ({
      servers: servers.map((s) => ({ client: id, name: 'x', url: URL_A, source: 'test', entryKey: 'k', storeReachable: true, config: {}, ...s })),
      problems: [],
    }),
    checkWritable: async (server: ConfiguredServer) => {
      checked.push(server.name);
      const why = refuse(server.name);
      return why ? { target: id, kind: 'store-unwritable', server: server.name, message: why } : undefined;
    },
  } as unknown as ClientAdapter & { checked: string[] };
}

describe('checkClientStoresWritable', () => {
  it('asks each server configured with exactly this URL, and fails with every reason', async () => {
    const codex = adapter('codex', [{ name: 'a' }, { name: 'other', url: 'http://127.0.0.1:1/mcp/' }, { name: 'enc', storeReachable: false }], (n) => (n === 'a' ? 'Codex: /home/u/.codex is read-only.' : undefined));
    const claude = adapter('claude-code', [{ name: 'b' }], () => 'Claude Code: ~/.claude is read-only.');
    const error = await checkClientStoresWritable(URL_A, undefined, new ClientLogins({ adapters: [codex, claude] })).then(
      () => undefined,
      (e: unknown) => e as ProtocolError,
    );
    expect(codex.checked).toEqual(['a']);
    expect(claude.checked).toEqual(['b']);
    expect(error?.code).toBe(ErrorCode.StoreFailed);
    expect(error?.message).toMatch(/^Nothing was opened/);
    expect(error?.message).toContain('Codex: /home/u/.codex is read-only.');
    expect(error?.message).toContain('Claude Code: ~/.claude is read-only.');
  });

  it('asks only the --client targets, and passes when they can be written', async () => {
    const codex = adapter('codex', [{ name: 'a' }], () => undefined);
    const claude = adapter('claude-code', [{ name: 'b' }], () => 'refused');
    await checkClientStoresWritable(URL_A, ["codex"], new ClientLogins({ adapters: [codex, claude] }));
    expect(codex.checked).toEqual(['a']);
    expect(claude.checked).toEqual([]);
  });
});

describe('LoginService.begin with a store that cannot be written', () => {
  let server: Server;
  let requests = 0;
  let serverUrl: string;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests += 1;
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    serverUrl = `http://127.0.0.1:${port}/mcp`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  function service(store: Partial<CredentialTarget>, checkClientStores?: () => Promise<void>) {
    const full = { name: 'bridge', describe: () => 'test', read: async () => undefined, write: async () => {}, delete: async () => false, list: async () => [], ...store } as CredentialTarget;
    let redirects = 0;
    const login = new LoginService({
      loadConfig: async () => EMPTY_CONFIG,
      store: full,
      redirectUri: async () => {
        redirects += 1;
        return 'http://127.0.0.1:9/callback';
      },
      ...(checkClientStores ? { checkClientStores } : {}),
    });
    return { login, redirects: () => redirects };
  }

  it('the bridge store refuses: begin fails with its reason, and nothing is requested or listened for', async () => {
    const refusal = new ProtocolError(ErrorCode.StoreFailed, 'Cannot write the bridge\'s credential file /x (read-only file system): make /x writable');
    const { login, redirects } = service({ checkWritable: async () => Promise.reject(refusal) });
    await expect(login.begin(serverUrl)).rejects.toBe(refusal);
    expect(requests).toBe(0);
    expect(redirects()).toBe(0);
    expect(login.pendingCount()).toBe(0);
  });

  it('a client store refuses: the same, after the bridge store passed', async () => {
    let bridgeChecked = false;
    const refusal = new ProtocolError(ErrorCode.StoreFailed, 'Nothing was opened: Codex …');
    const { login, redirects } = service({ checkWritable: async () => ((bridgeChecked = true), { location: 'test' }) }, async () => Promise.reject(refusal));
    await expect(login.begin(serverUrl, { clients: ['codex'] })).rejects.toBe(refusal);
    expect(bridgeChecked).toBe(true);
    expect(requests).toBe(0);
    expect(redirects()).toBe(0);
  });

  it('with both passing, begin goes on to discovery (the server is asked)', async () => {
    const { login } = service({ checkWritable: async () => ({ location: 'test' }) }, async () => {});
    await expect(login.begin(serverUrl)).rejects.toMatchObject({ code: ErrorCode.DiscoveryFailed });
    expect(requests).toBeGreaterThan(0);
  });
});
