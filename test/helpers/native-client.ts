/**
 * Speaks native messaging to the built host the way a browser does: spawns it with the caller's
 * origin as argument, writes length-prefixed frames, reads framed responses.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEV_EXTENSION_ID } from '../../shared/constants';
import { FrameReader } from '../../native-host/native-messaging/framing';

export const HOST_BUNDLE = fileURLToPath(new URL('../../dist/native-host/mcp-login-bridge.mjs', import.meta.url));
export const CLI_BIN = fileURLToPath(new URL('../../native-host/bin/mcp-login-bridge.cjs', import.meta.url));

export function assertHostBuilt(): void {
  if (!existsSync(HOST_BUNDLE)) throw new Error(`${HOST_BUNDLE} is missing: run "npm run build" (npm test does it)`);
}

export interface NativeClient {
  child: ChildProcessWithoutNullStreams;
  sendRaw(bytes: Buffer): void;
  send(message: unknown): void;
  next(timeoutMs?: number): Promise<any>;
  request(message: { id: string; type: string; [k: string]: unknown }, timeoutMs?: number): Promise<any>;
  exited: Promise<number | null>;
  stderr(): string;
  close(): Promise<void>;
}

export function spawnNativeHost(options: { env?: NodeJS.ProcessEnv; args?: string[]; /** default HOST_BUNDLE */ bundle?: string } = {}): NativeClient {
  assertHostBuilt();
  const child = spawn(process.execPath, [options.bundle ?? HOST_BUNDLE, ...(options.args ?? [`chrome-extension://${DEV_EXTENSION_ID}/`])], {
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const reader = new FrameReader(1024 * 1024);
  const queue: unknown[] = [];
  const waiters: ((v: unknown) => void)[] = [];
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (chunk: Buffer) => {
    for (const e of reader.push(chunk)) {
      if (e.kind !== 'message') throw new Error(`host wrote a bad frame: ${e.error.message}`);
      const w = waiters.shift();
      if (w) w(e.value);
      else queue.push(e.value);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const client: NativeClient = {
    child,
    sendRaw: (bytes) => child.stdin.write(bytes),
    send(message) {
      const body = Buffer.from(JSON.stringify(message));
      const header = Buffer.alloc(4);
      header.writeUInt32LE(body.length);
      child.stdin.write(Buffer.concat([header, body]));
    },
    next(timeoutMs = 15_000) {
      if (queue.length) return Promise.resolve(queue.shift());
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no response from the host within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
        waiters.push((v) => {
          clearTimeout(t);
          resolve(v);
        });
      });
    },
    async request(message, timeoutMs) {
      client.send(message);
      return client.next(timeoutMs);
    },
    exited,
    stderr: () => stderr,
    async close() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  return client;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI (through its npm launcher, or `cliBin`: an earlier checkout's) with `args` and
 * exactly `env`, stdin closed, to its exit.
 */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv, cliBin = CLI_BIN): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
