/** The registered clients' adapters pointed at temp directories: Codex at `codexHome`, Claude Code at `env` and `projectDir`. */
import type { ClientAdapter } from '../../native-host/clients/client-adapter';
import { ClaudeCodeAdapter } from '../../native-host/clients/claude-code/claude-code-adapter';
import { CodexAdapter } from '../../native-host/clients/codex/codex-adapter';

export function localClientAdapters(options: { codexHome: string; env: NodeJS.ProcessEnv; projectDir: string; platform?: NodeJS.Platform }): ClientAdapter[] {
  const platform = options.platform ? { platform: options.platform } : {};
  return [
    new CodexAdapter({ env: { CODEX_HOME: options.codexHome }, ...platform }),
    new ClaudeCodeAdapter({ env: options.env, projectDir: options.projectDir, ...platform }),
  ];
}
