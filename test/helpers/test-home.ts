/**
 * A home of its own for the in-process command tests: every folder a command looks in (config,
 * state, runtime, the MCP clients' homes) under one temp dir, and the host config set to keep
 * logins in 0600 files, so no test here touches a keychain or the user's real files.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestHome {
  root: string;
  env: NodeJS.ProcessEnv;
  configFile: string;
  /** Where the bridge's credential files go with "store": "file". */
  credentialsDir: string;
  remove(): Promise<void>;
}

export async function makeTestHome(config: Record<string, unknown> = { store: 'file' }): Promise<TestHome> {
  const root = await mkdtemp(join(tmpdir(), 'mlb-cli-unit-'));
  const home = join(root, 'home');
  await mkdir(home);
  const configFile = join(root, 'config.json');
  await writeFile(configFile, JSON.stringify(config));
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    MCP_LOGIN_BRIDGE_CONFIG: configFile,
    MCP_LOGIN_BRIDGE_RUNTIME_DIR: join(root, 'run'),
    CODEX_HOME: join(root, 'codex'),
    CLAUDE_CONFIG_DIR: join(root, 'claude'),
    GEMINI_CLI_HOME: join(root, 'gemini'),
  };
  return {
    root,
    env,
    configFile,
    credentialsDir: join(home, '.local', 'state', 'mcp-login-bridge', 'credentials'),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
