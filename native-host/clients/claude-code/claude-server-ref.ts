/** What Claude Code's store needs to name a server's entry: its key covers the entry's type, URL and headers. */
import type { ClaudeServerConfig } from './claude-code-config';
import type { ClaudeServerRef } from './claude-code-store';

export function claudeServerRef(config: ClaudeServerConfig): ClaudeServerRef {
  return { name: config.name, url: config.url, ...(config.type !== undefined ? { type: config.type } : {}), ...(config.headers ? { headers: config.headers } : {}) };
}
