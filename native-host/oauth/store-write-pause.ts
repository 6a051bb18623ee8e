/**
 * TEST ONLY. A login stores its credential in two steps under the server's lock: the bridge's
 * keychain entry, then the clients' copies (Codex, Claude Code). A crash between them must leave
 * every store whole, and the refresh token in at least the keychain entry. The window is a few
 * milliseconds wide, too narrow for a test's `kill -9` to land in by chance; with
 * MCP_LOGIN_BRIDGE_TEST_PAUSE_AFTER_KEYCHAIN_WRITE set to a file path, a login writes that file once
 * its keychain entry is written and waits there (up to 60 s) until the file is removed, so the test
 * knows the process is inside the window and can kill it there.
 *
 * Inert unless the variable is set: then this is one environment lookup per login. It gives a
 * process nothing it could not do anyway (it only makes a login wait), and writes nothing secret.
 */
import { access, rename, writeFile } from 'node:fs/promises';

export const PAUSE_ENV = 'MCP_LOGIN_BRIDGE_TEST_PAUSE_AFTER_KEYCHAIN_WRITE';
const MAX_WAIT_MS = 60_000;

export async function pauseAfterKeychainWrite(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const marker = env[PAUSE_ENV];
  if (!marker) return;
  // Written whole, then renamed into place: a test polling for the file never reads it half-written.
  await writeFile(`${marker}.tmp`, `${process.pid}\n`, { mode: 0o600 });
  await rename(`${marker}.tmp`, marker);
  const until = Date.now() + MAX_WAIT_MS;
  while (Date.now() < until) {
    try {
      await access(marker);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
