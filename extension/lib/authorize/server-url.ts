/**
 * The check of an MCP server URL the user typed (popup) or the host relayed (a CLI's login), before
 * anything is done with it: nothing is asked of the host, stored or shown as a result for a URL
 * that fails it.
 */
import { LIMITS } from '../../../shared/protocol';
import { ExtensionError } from '../extension-errors';

/** Throws an InvalidServerUrl ExtensionError whose message says what to fix. */
export function checkServerUrl(serverUrl: string): void {
  let url: URL | null = null;
  try {
    url = new URL(serverUrl);
  } catch {
    // Reported below.
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || serverUrl.length > LIMITS.maxUrlLength) {
    throw new ExtensionError('InvalidServerUrl', "Enter the MCP server's full URL, e.g. https://example.com/mcp.");
  }
  // A password would be kept with the URL (the popup's last URL, the result history) and sent
  // to the host; and the login never needs one: its tokens come from the provider.
  if (url.username || url.password) {
    throw new ExtensionError(
      'InvalidServerUrl',
      'Remove the user name and password from the server URL (the part before "@"): the login gets its tokens from the provider, and the extension keeps no credentials in a URL.',
    );
  }
}
