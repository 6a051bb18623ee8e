/**
 * The popup's side of the one server-URL check (shared/server-url.ts): a URL the user typed, or the
 * host relayed (a CLI's login), is checked before anything is done with it: nothing is asked of the
 * host, stored or shown as a result for a URL that fails it. Only the words are the popup's own.
 */
import { checkServerUrl as checkSharedServerUrl, ServerUrlError, type ServerUrlProblem } from '../../../shared/server-url';
import { ExtensionError } from '../extension-errors';

const FULL_URL = "Enter the MCP server's full URL, e.g. https://example.com/mcp.";

const POPUP_WORDS: Partial<Record<ServerUrlProblem, string>> = {
  'too-long': FULL_URL,
  'not-a-url': FULL_URL,
  'not-http': FULL_URL,
  // A password would be kept with the URL (the popup's last URL, the result history) and sent
  // to the host; and the login never needs one: its tokens come from the provider.
  credentials:
    'Remove the user name and password from the server URL (the part before "@"): the login gets its tokens from the provider, and the extension keeps no credentials in a URL.',
};

/** Throws an InvalidServerUrl ExtensionError whose message says what to fix. */
export function checkServerUrl(serverUrl: string): void {
  try {
    checkSharedServerUrl(serverUrl);
  } catch (error) {
    if (!(error instanceof ServerUrlError)) throw error;
    const words = POPUP_WORDS[error.kind] ?? `${error.message[0]!.toUpperCase()}${error.message.slice(1)}.`;
    throw new ExtensionError('InvalidServerUrl', words);
  }
}
