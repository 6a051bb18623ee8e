/** Token helpers started with a minimal environment (Codex) still find the user's session bus. */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSessionBusAddress } from '../../../native-host/stores/keyring-entry';

describe('default session bus address', () => {
  it('is $XDG_RUNTIME_DIR/bus when that is a socket, else nothing (for a uid without /run/user)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlb-bus-'));
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, 'bus'), resolve));
    try {
      expect(defaultSessionBusAddress({ XDG_RUNTIME_DIR: dir }, 987_654)).toBe(`unix:path=${dir}/bus`);
      expect(defaultSessionBusAddress({ XDG_RUNTIME_DIR: join(dir, 'none') }, 987_654)).toBeUndefined();
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
