/**
 * Popup (also usable as a tab at popup.html): a server URL, an Authorize button, the latest result
 * and whether the native host answers. It follows the background's result history in
 * storage.session, so a login finishing in another tab shows up here, and reopening shows it too.
 */
import '../../assets/pages.css';
import { browser } from 'wxt/browser';
import { IdbActivityStore, describeChain } from '../../lib/activity-log';
import { askBackground } from '../../lib/background-client';
import { renderError, renderHostStatus, renderResult } from '../../lib/render-result';
import { RESULTS_STORAGE_KEY, parseStoredResults } from '../../lib/result-history';
import type { ResultSummary } from '../../lib/result-summary';

const LAST_SERVER_KEY = 'lastServerUrl';

const form = document.querySelector<HTMLFormElement>('#authorize-form')!;
const serverUrl = document.querySelector<HTMLInputElement>('#server-url')!;
const authorize = document.querySelector<HTMLButtonElement>('#authorize')!;
const result = document.querySelector<HTMLElement>('#result')!;
const hostStatus = document.querySelector<HTMLElement>('#host-status')!;

/** While Authorize waits for the host, history updates of older flows must not replace its progress. */
let requestInFlight = false;

function showLatest(results: ResultSummary[]): void {
  const latest = results[0];
  if (latest) renderResult(result, latest);
  else renderResult(result, { state: 'idle', message: 'No login yet. Enter an MCP server URL and click Authorize.' });
}

const chainList = document.querySelector<HTMLUListElement>('#chain-list')!;

/** Recent chains of automatic capture, from the activity log (IndexedDB, shared with the background). */
async function showChains(): Promise<void> {
  const chains = await new IdbActivityStore().recent(5);
  if (!chains.length) return;
  chainList.replaceChildren(
    ...chains.map((c) => {
      const li = document.createElement('li');
      li.dataset.outcome = c.outcome;
      li.textContent = `${new Date(c.startedAt).toLocaleTimeString()}: ${describeChain(c)}`;
      return li;
    }),
  );
}

async function checkHost(): Promise<void> {
  const { host } = await askBackground({ kind: 'checkHost' });
  renderHostStatus(hostStatus, host);
}

async function onAuthorize(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const url = serverUrl.value.trim();
  requestInFlight = true;
  authorize.disabled = true;
  renderResult(result, { state: 'pending', message: `Asking the native host to start the login to ${url || '…'}` });
  try {
    // Not a secret: remembered so the field is filled next time.
    if (url) await browser.storage.local.set({ [LAST_SERVER_KEY]: url });
    const { summary } = await askBackground({ kind: 'authorize', serverUrl: url });
    renderResult(result, summary);
  } catch (error) {
    renderError(result, error);
  } finally {
    requestInFlight = false;
    authorize.disabled = false;
  }
  await checkHost();
}

async function init(): Promise<void> {
  browser.storage.onChanged.addListener((changes, area) => {
    const change = changes[RESULTS_STORAGE_KEY];
    if (area === 'session' && change && !requestInFlight) showLatest(parseStoredResults(change.newValue));
  });
  form.addEventListener('submit', (event) => void onAuthorize(event as SubmitEvent));

  const [{ results }, stored] = await Promise.all([
    askBackground({ kind: 'getResults' }),
    browser.storage.local.get(LAST_SERVER_KEY),
  ]);
  if (!requestInFlight) showLatest(results);
  showChains().catch(() => undefined);
  const remembered = results[0]?.serverUrl ?? stored[LAST_SERVER_KEY];
  if (!serverUrl.value && typeof remembered === 'string') serverUrl.value = remembered;
  await checkHost();
}

init().catch((error: unknown) => {
  renderError(result, error);
  hostStatus.dataset.state = 'disconnected';
});
