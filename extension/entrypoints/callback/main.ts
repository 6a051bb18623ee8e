/**
 * The page the capture rule redirects a login callback to. It takes the query (code, state) out of
 * its own address at once, hands it to the background and shows how the login ended. It stays open
 * showing the result rather than closing itself: the user sees what happened, and nothing they
 * might still want to read disappears.
 */
import '../../assets/pages.css';
import { askBackground } from '../../lib/page-messages/background-client';
import { renderError, renderResult } from '../../lib/ui/render-result';
import { formatLocalTime } from '../../lib/ui/result-summary';

// Before anything else: the code must not stay in the address bar, history or a reload.
const query = location.search.slice(1);
if (query) history.replaceState(null, '', location.pathname);

const result = document.querySelector<HTMLElement>('#result')!;
const closeHint = document.querySelector<HTMLElement>('#close-hint')!;

async function finish(): Promise<void> {
  if (!query) {
    // Reloaded or opened directly: nothing to complete. The latest outcome is named as the past
    // one it is, not shown as if this page had just finished it.
    const { results } = await askBackground({ kind: 'getResults' });
    const latest = results[0];
    renderResult(result, {
      state: 'idle',
      message: 'Nothing to finish on this page. Start a login from the extension popup.',
      details: latest ? [`Last login attempt (${formatLocalTime(latest.updatedAt)}): ${latest.message}`] : [],
    });
    document.title = 'MCP Login Bridge';
    return;
  }
  const { summary } = await askBackground({ kind: 'callback', query });
  renderResult(result, summary);
  // Capture (this page's navigation start) to the result shown here, for bench/extension-capture.
  performance.mark('mlb-result-shown');
  document.title = `MCP Login Bridge: ${summary.state === 'error' ? 'login failed' : 'logged in'}`;
  closeHint.hidden = summary.state === 'pending';
}

finish().catch((error: unknown) => renderError(result, error));
