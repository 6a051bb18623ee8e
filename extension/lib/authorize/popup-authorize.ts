/**
 * The popup's Authorize click without the DOM, so its order is tested: the typed URL is checked
 * first, and only a URL that passes is shown, remembered (storage.local, to fill the field next
 * time) and sent to the background. A refused one is thrown back to be shown, and kept nowhere.
 */
import type { ResultSummary } from '../ui/result-summary';
import { checkServerUrl } from './server-url';

export interface PopupAuthorizeDeps {
  /** Called once the URL passed the check (the popup shows that the login is starting). */
  started(serverUrl: string): void;
  remember(serverUrl: string): Promise<void>;
  authorize(serverUrl: string): Promise<ResultSummary>;
}

export async function authorizeTypedUrl(typed: string, deps: PopupAuthorizeDeps): Promise<ResultSummary> {
  const serverUrl = typed.trim();
  checkServerUrl(serverUrl);
  deps.started(serverUrl);
  await deps.remember(serverUrl);
  return deps.authorize(serverUrl);
}
