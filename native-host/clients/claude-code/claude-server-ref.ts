/** What Claude Code's store needs to name a server's entry: its key covers the entry's type, URL and headers. */
import type { ClaudeServerRef } from './claude-code-store';

/**
 * Copies only the fields the store key covers out of a server's config entry. It takes any value with
 * those fields (a `ClaudeServerConfig` is one) rather than importing the config module's type, which
 * would make this module and the config reader import each other.
 */
export function claudeServerRef(config: ClaudeServerRef): ClaudeServerRef {
  return { name: config.name, url: config.url, ...(config.type !== undefined ? { type: config.type } : {}), ...(config.headers ? { headers: config.headers } : {}) };
}
