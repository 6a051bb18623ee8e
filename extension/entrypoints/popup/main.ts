/**
 * Popup (also usable as a tab at popup.html): a server URL, an Authorize button, the latest result,
 * whether the native host answers, and "Your logins" (the host's `status`, asked on every open and
 * after each finished login; never stored, so it is never stale and never in extension storage). It follows the background's result history in
 * storage.session, so a login finishing in another tab shows up here, and reopening shows it too.
 */
import '../../assets/pages.css';
import { browser } from 'wxt/browser';
import { IdbActivityStore, describeChain } from '../../lib/auto-capture/activity-log';
import { askBackground } from '../../lib/page-messages/background-client';
import { buildLoginStatusView, helperLine, logoutMessage, renderLoginStatus, type LoginActions } from '../../lib/ui/login-status-view';
import { authorizeTypedUrl } from '../../lib/authorize/popup-authorize';
import { currentBrowserFacts, detectInstallBrowser, installCommand } from '../../lib/ui/install-command';
import { hostBannerView, renderError, renderHostStatus, renderResult } from '../../lib/ui/render-result';
import { RESULTS_STORAGE_KEY, parseStoredResults } from '../../lib/ui/result-history';
import { formatLocalTime, type ResultSummary } from '../../lib/ui/result-summary';

const LAST_SERVER_KEY = 'lastServerUrl';

const form = document.querySelector<HTMLFormElement>('#authorize-form')!;
const serverUrl = document.querySelector<HTMLInputElement>('#server-url')!;
const authorize = document.querySelector<HTMLButtonElement>('#authorize')!;
const result = document.querySelector<HTMLElement>('#result')!;
const hostStatus = document.querySelector<HTMLElement>('#host-status')!;
const loginStatus = document.querySelector<HTMLElement>('#login-status')!;
const loginsNotice = document.querySelector<HTMLElement>('#logins-notice')!;
const hostBanner = document.querySelector<HTMLElement>('#host-banner')!;
const copyInstall = document.querySelector<HTMLButtonElement>('#copy-install')!;

/** Whether the host answered the last check: Authorize is useless without it. */
let hostReady = false;

/** While Authorize waits for the host, history updates of older flows must not replace its progress. */
let requestInFlight = false;

function showLatest(results: ResultSummary[]): void {
  const latest = results[0];
  if (latest) renderResult(result, latest);
  else renderResult(result, { state: 'idle', message: 'No login yet. Enter an MCP server URL and click Authorize.' });
  if (latest) refreshLoginsAfter(latest);
}

/** Bumped per request: only the newest answer is rendered when refreshes overlap. */
let loginsRequest = 0;

async function showLogins(): Promise<void> {
  const request = ++loginsRequest;
  let view;
  try {
    const { logins } = await askBackground({ kind: 'getStatus' });
    view = buildLoginStatusView(logins, Date.now(), formatLocalTime);
  } catch (error) {
    // The background itself failed: say so here too, the rest of the popup stays usable.
    view = { state: 'error' as const, message: error instanceof Error ? error.message : String(error), details: [] };
  }
  if (request === loginsRequest) renderLoginStatus(loginStatus, view, loginActions);
}

const loginActions: LoginActions = {
  logInAgain(url) {
    // The same path as typing the URL and pressing Authorize (a waiting sign-in is focused instead).
    serverUrl.value = url;
    form.requestSubmit();
  },
  copyHelper(url, button) {
    void navigator.clipboard.writeText(helperLine(url)).then(
      () => (button.textContent = 'Copied'),
      () => (button.textContent = 'Copy failed'),
    );
    setTimeout(() => (button.textContent = 'Copy helper command'), 2000);
  },
  async logOut(url) {
    let text: string;
    let failed = false;
    try {
      const { logout } = await askBackground({ kind: 'logout', serverUrl: url });
      failed = !logout.ok;
      text = logout.ok ? logoutMessage(logout.result) : `Could not log out of ${url}: ${logout.error.message}`;
    } catch (error) {
      failed = true;
      text = `Could not log out of ${url}: ${error instanceof Error ? error.message : String(error)}`;
    }
    loginsNotice.textContent = text;
    if (failed) loginsNotice.dataset.state = 'error';
    else delete loginsNotice.dataset.state;
    await showLogins();
  },
};

/** The last finished login the list was refreshed for (flow id and update time). */
let refreshedFor = '';

function finishedKey(summary: ResultSummary | undefined): string {
  return summary && summary.state !== 'pending' ? `${summary.flowId}@${summary.updatedAt}` : '';
}

/** A login that just finished (here or in another tab) changed what the host knows: ask again. */
function refreshLoginsAfter(summary: ResultSummary): void {
  const key = finishedKey(summary);
  if (!key || key === refreshedFor) return;
  refreshedFor = key;
  void showLogins();
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
  hostReady = host.connected;
  if (!requestInFlight) authorize.disabled = !hostReady;
  authorize.title = hostReady ? '' : 'Set up the native host first (see above)';
  if (host.connected) {
    hostBanner.hidden = true;
    return;
  }
  const view = hostBannerView(host.error, installCommand(detectInstallBrowser(currentBrowserFacts(browser.runtime))));
  document.querySelector('#host-banner-text')!.textContent = view.text;
  document.querySelector('#install-command')!.textContent = view.command;
  document.querySelector('#host-banner-next')!.textContent = view.next;
  hostBanner.hidden = false;
}

async function copyCommand(): Promise<void> {
  const text = document.querySelector('#install-command')!.textContent ?? '';
  try {
    await navigator.clipboard.writeText(text);
    copyInstall.textContent = 'Copied';
  } catch {
    // Clipboard refused (no user gesture, policy): select the text so Ctrl+C works.
    const range = document.createRange();
    range.selectNodeContents(document.querySelector('#install-command')!);
    getSelection()?.removeAllRanges();
    getSelection()?.addRange(range);
    copyInstall.textContent = 'Press Ctrl+C';
  }
  setTimeout(() => (copyInstall.textContent = 'Copy'), 2000);
}

async function onAuthorize(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  // No host, no login: the banner above says what to run.
  if (!hostReady) return;
  requestInFlight = true;
  authorize.disabled = true;
  try {
    // Checked before anything is shown, stored or sent; a refused URL is thrown, shown below.
    const summary = await authorizeTypedUrl(serverUrl.value, {
      started: (url) => renderResult(result, { state: 'pending', message: `Asking the native host to start the login to ${url}` }),
      // Not a secret: remembered so the field is filled next time.
      remember: (url) => browser.storage.local.set({ [LAST_SERVER_KEY]: url }),
      authorize: async (url) => (await askBackground({ kind: 'authorize', serverUrl: url })).summary,
    });
    renderResult(result, summary);
    refreshLoginsAfter(summary);
  } catch (error) {
    renderError(result, error);
  } finally {
    requestInFlight = false;
    authorize.disabled = !hostReady;
  }
  await checkHost();
}

async function init(): Promise<void> {
  browser.storage.onChanged.addListener((changes, area) => {
    const change = changes[RESULTS_STORAGE_KEY];
    if (area !== 'session' || !change) return;
    const results = parseStoredResults(change.newValue);
    // While this popup's own Authorize waits, its result line is kept; a login finished
    // elsewhere meanwhile still refreshes the list of logins.
    if (requestInFlight) {
      if (results[0]) refreshLoginsAfter(results[0]);
    } else showLatest(results);
  });
  form.addEventListener('submit', (event) => void onAuthorize(event as SubmitEvent));
  copyInstall.addEventListener('click', () => void copyCommand());
  // Until the host answers, Authorize waits (it would only fail).
  authorize.disabled = true;

  const [{ results }, stored] = await Promise.all([
    askBackground({ kind: 'getResults' }),
    browser.storage.local.get(LAST_SERVER_KEY),
  ]);
  // The result already there on opening is in the list init asks for below: no second request.
  refreshedFor = finishedKey(results[0]);
  if (!requestInFlight) showLatest(results);
  showChains().catch(() => undefined);
  const remembered = results[0]?.serverUrl ?? stored[LAST_SERVER_KEY];
  if (!serverUrl.value && typeof remembered === 'string') serverUrl.value = remembered;
  await Promise.all([checkHost(), showLogins()]);
}

init().catch((error: unknown) => {
  renderError(result, error);
  if (loginStatus.dataset.state === 'loading') {
    renderLoginStatus(loginStatus, { state: 'error', message: error instanceof Error ? error.message : String(error), details: [] });
  }
  hostStatus.dataset.state = 'disconnected';
});
