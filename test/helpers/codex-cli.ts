/**
 * Drives the real Codex CLI (npm @openai/codex, pinned in package.json) for interop tests.
 *
 * The lightest way found to make Codex connect to an MCP server (and so load, refresh and rewrite
 * its stored OAuth login) is its app server over stdio: `codex app-server`, JSON-RPC `initialize`,
 * then `mcpServerStatus/list` with `detail: "toolsAndAuthOnly"` for one server. That runs Codex's
 * real MCP client (discovery, refresh transaction under its locks, tools/list) in ~0.5 s, with no
 * model provider and no OpenAI account. `codex exec` would need a fake Responses API;
 * `codex mcp list` never connects.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const CODEX_BIN = join(process.cwd(), 'node_modules', '.bin', 'codex');

export function assertCodexInstalled(): void {
  if (!existsSync(CODEX_BIN)) {
    throw new Error(`The Codex CLI is not installed at ${CODEX_BIN}: run npm ci (it is a devDependency, @openai/codex).`);
  }
}

export interface CodexListEntry {
  name: string;
  auth_status: string;
  transport: { url?: string };
}

/** `codex mcp list --json`: offline, reports each server's auth status from the stored login. */
export async function codexMcpList(env: NodeJS.ProcessEnv): Promise<CodexListEntry[]> {
  const { code, stdout, stderr } = await run(CODEX_BIN, ['mcp', 'list', '--json'], env, 20_000);
  if (code !== 0) throw new Error(`codex mcp list failed (${code}): ${stderr.slice(-500)}`);
  return JSON.parse(stdout) as CodexListEntry[];
}

export interface CodexServerStatus {
  name: string;
  authStatus: string;
  tools: Record<string, unknown>;
  toolsError: unknown;
}

/** Makes a real Codex session connect to one configured server and list its tools. */
export async function codexConnect(env: NodeJS.ProcessEnv, serverName: string, timeoutMs = 20_000): Promise<CodexServerStatus> {
  const child = spawn(CODEX_BIN, ['app-server'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const rpc = new JsonRpcLines(child);
  try {
    await rpc.call('initialize', { clientInfo: { name: 'mcp-login-bridge-tests', version: '1' } }, timeoutMs);
    rpc.notify('initialized');
    const result = (await rpc.call('mcpServerStatus/list', { detail: 'toolsAndAuthOnly', serverName }, timeoutMs)) as { data: CodexServerStatus[] };
    const status = result.data.find((s) => s.name === serverName);
    if (!status) throw new Error(`codex app-server did not report ${serverName}`);
    return status;
  } finally {
    child.stdin.end();
    child.kill();
  }
}

class JsonRpcLines {
  #nextId = 1;
  #buffer = '';
  #stderr = '';
  readonly #waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (this.#stderr = (this.#stderr + chunk).slice(-2000)));
    child.stdout.on('data', (chunk: string) => {
      this.#buffer += chunk;
      for (let i = this.#buffer.indexOf('\n'); i >= 0; i = this.#buffer.indexOf('\n')) {
        const line = this.#buffer.slice(0, i);
        this.#buffer = this.#buffer.slice(i + 1);
        let message: { id?: number; result?: unknown; error?: { message?: string } };
        try {
          message = JSON.parse(line);
        } catch {
          continue;
        }
        const waiter = message.id === undefined ? undefined : this.#waiting.get(message.id);
        if (!waiter) continue; // notifications
        this.#waiting.delete(message.id!);
        if (message.error) waiter.reject(new Error(`codex app-server: ${message.error.message ?? 'error'}`));
        else waiter.resolve(message.result);
      }
    });
    child.on('close', (code) => {
      for (const waiter of this.#waiting.values()) waiter.reject(new Error(`codex app-server exited (${code}): ${this.#stderr}`));
      this.#waiting.clear();
    });
  }

  notify(method: string, params?: unknown): void {
    this.child.stdin.write(`${JSON.stringify({ method, ...(params === undefined ? {} : { params }) })}\n`);
  }

  call(method: string, params: unknown, timeoutMs: number): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`codex app-server: no answer to ${method} within ${timeoutMs} ms. stderr: ${this.#stderr}`));
      }, timeoutMs);
      this.#waiting.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.child.stdin.write(`${JSON.stringify({ id, method, params })}\n`);
    });
  }
}

/** Runs a command without blocking the event loop (the fixtures it talks to live in this process). */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (error) => (clearTimeout(timer), reject(error)));
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}
