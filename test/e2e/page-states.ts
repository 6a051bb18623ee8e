/**
 * The states the extension's pages are shown in by the screenshot tests (Chromium and Firefox):
 * the background's own result summaries (built with result-summary.ts, as the background builds
 * them) to put into storage.session, the stub host's `status` answer for each popup state, the
 * options page's rules and the activity records automatic capture writes.
 */
import type { CompleteResult, StatusResult } from '../../shared/protocol';
import { completedSummary, errorSummary, waitingForSignInSummary, type ResultSummary } from '../../extension/lib/ui/result-summary';

export const SCHEMES = ['light', 'dark'] as const;
export type Scheme = (typeof SCHEMES)[number];
export const NOW = Date.now();
const HOUR = 3_600_000;

export const SERVER = 'https://mail.example.com/mcp';
export const ISSUER = 'https://accounts.google.com';
const b = (flowId: string, serverUrl: string, startedAt: number) => ({ flowId, serverUrl, startedAt, now: startedAt });
const time = (ms: number) => new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });

function complete(over: Partial<CompleteResult> = {}): CompleteResult {
  return {
    serverUrl: SERVER,
    issuer: ISSUER,
    stored: [
      // As the host words them (bridge-store.ts, codex-store.ts).
      { target: 'bridge', location: 'keychain service "mcp-login-bridge"' },
      { target: 'codex', location: 'the Secret Service (D-Bus), service "Codex MCP Credentials", account "gmail|1f0c2b"', server: 'gmail' },
    ],
    refreshCapable: true,
    expiresAt: NOW + HOUR,
    scope: 'openid email',
    timings: { totalMs: 1, tokenEndpointMs: 1, storeMs: 0 },
    ...over,
  };
}

export const RESULTS: Record<string, ResultSummary[]> = {
  empty: [],
  waiting: [waitingForSignInSummary({ ...b('f1', SERVER, NOW), authorizeUrl: `${ISSUER}/o/oauth2/auth`, expiresAt: NOW + 600_000 }, time)],
  // The account the provider named, as the host's `complete` carries it (the ID token's email).
  success: [completedSummary(b('f2', SERVER, NOW), complete({ account: 'alex@example.com' }), time)],
  'no-refresh-token': [
    completedSummary(
      b('f3', SERVER, NOW),
      complete({
        refreshCapable: false,
        warning: {
          code: 401,
          name: 'NoRefreshToken',
          message:
            'https://accounts.google.com issued no refresh token, so this login ends when the access token expires. No provider rule matched https://accounts.google.com. If it is Google or behaves like it, add a rule for https://accounts.google.com that adds access_type=offline and prompt=consent (in the browser extension, "Add this rule" fills it in), or add {"id":"my-provider","name":"My provider","origins":["https://accounts.google.com"],"params":{"access_type":"offline","prompt":"consent"}} to the "rules" array in /home/you/.config/mcp-login-bridge/config.json; then log in again.',
        },
      }),
      time,
      [],
    ),
  ],
  'several-logins': [completedSummary(b('f4', 'https://drive.example.com/mcp', NOW), complete({ serverUrl: 'https://drive.example.com/mcp' }), time)],
  error: [
    errorSummary(b('f5', SERVER, NOW), {
      source: 'host',
      code: 200,
      name: 'DiscoveryFailed',
      message: 'Could not read https://mail.example.com/.well-known/oauth-protected-resource: the connection was refused.',
    }),
  ],
};

/** Part of the result card's headline where a state's summary says something to check. */
export const HEADLINES: Partial<Record<string, string>> = {
  success: `Logged in to ${SERVER} as alex@example.com; refresh token stored`,
  // A provider that named no account: no "as …".
  'several-logins': 'Logged in to https://drive.example.com/mcp; refresh token stored',
  // Waiting names the sign-in, not the host's flow expiry as "this login expires".
  waiting: `Waiting for you to sign in for ${SERVER} in the new tab.`,
  // The host's sentence, not "Host error 200 DiscoveryFailed"; the code is on a details line.
  error: 'Could not read https://mail.example.com/.well-known/oauth-protected-resource: the connection was refused.',
};

const credential = (serverUrl: string, refreshCapable = true, account = 'alex@example.com') => ({
  serverUrl,
  issuer: ISSUER,
  account,
  clientId: 'desktop-client',
  scope: 'openid email',
  expiresAt: NOW + HOUR,
  refreshCapable,
  store: 'bridge' as const,
  ...(refreshCapable ? {} : { reason: 'no refresh token was issued at login: the provider needs a rule (Google: access_type=offline, prompt=consent); log in again once it has one' }),
});

export const STATUS: Record<string, StatusResult> = {
  empty: { credentials: [], clients: [], pendingFlows: 0 },
  waiting: { credentials: [], clients: [], pendingFlows: 1 },
  success: {
    credentials: [credential(SERVER)],
    clients: [{ client: 'codex', server: 'gmail', serverUrl: SERVER, loggedIn: true, refreshCapable: true, expiresAt: NOW + HOUR, issuer: ISSUER, store: 'keyring' }],
    pendingFlows: 0,
  },
  'no-refresh-token': { credentials: [credential(SERVER, false)], clients: [], pendingFlows: 0 },
  'several-logins': {
    credentials: [credential(SERVER), credential('https://drive.example.com/mcp', true, 'alex.work@example.com'), credential('https://calendar.example.com/mcp', false)],
    clients: [
      { client: 'codex', server: 'gmail', serverUrl: SERVER, loggedIn: true, refreshCapable: true, expiresAt: NOW + HOUR, issuer: ISSUER, store: 'keyring' },
      { client: 'claude-code', server: 'drive', serverUrl: 'https://drive.example.com/mcp', loggedIn: false, refreshCapable: false, expiresAt: null, reason: 'not logged in' },
    ],
    pendingFlows: 0,
  },
  error: { credentials: [], clients: [], pendingFlows: 0 },
};


/**
 * Runs in an extension page: puts activity records into the IndexedDB store the background's
 * automatic capture writes (activity-log.ts), so the options page's activity view shows them.
 */
export function seedActivity(records: readonly object[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const open = indexedDB.open('mcp-login-bridge-activity', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('chains', { keyPath: 'id' }).createIndex('startedAt', 'startedAt');
    open.onsuccess = () => {
      const tx = open.result.transaction('chains', 'readwrite');
      for (const r of records) tx.objectStore('chains').put(r);
      tx.oncomplete = () => (open.result.close(), resolve());
      tx.onerror = () => reject(tx.error);
    };
    open.onerror = () => reject(open.error);
  });
}

/** Records as the background's automatic capture writes them (activity-log.ts), for the activity view. */
export const ACTIVITY = [
  { id: 'c1', startedAt: NOW - 60_000, endedAt: NOW - 30_000, clientId: 'codex-cli', redirectPort: 1455, serverOrigin: 'https://accounts.google.com',
    provider: { ruleId: 'google', name: 'Google', origin: 'https://accounts.google.com' }, paramsAdded: ['access_type', 'prompt'], appliedBy: 'rule', outcome: 'callback' },
  { id: 'c2', startedAt: NOW - 3_600_000, endedAt: NOW - 3_500_000, clientId: 'claude-code', redirectPort: 53682, serverOrigin: 'https://mcp.linear.app',
    paramsAdded: [], outcome: 'tab-closed' },
];

/** What the activity view says each of ACTIVITY's sign-ins got: program, provider, parameters added, outcome. */
export const ACTIVITY_ROWS = [
  ['codex-cli', 'Google', 'access_type, prompt', 'Returned to the program'],
  ['claude-code', 'No rule matched', 'Nothing', 'Tab closed first'],
];

/** The options page's rules: one of the user's and one from the host config (the columns that broke mid-word: "confi/g", "Remov/e"). */
export const OPTIONS_STORAGE = {
  providerSettings: { disabled: ['okta'], userRules: [{ id: 'team-idp', name: 'Team identity provider', origins: ['https://login.team-idp.example.com'], params: { access_type: 'offline', prompt: 'consent' }, source: 'user' }] },
  configRules: [{ id: 'corp-sso', name: 'Corporate SSO', origins: ['https://sso.corp.example.com', 'https://*.sso.corp.example.com'], params: {}, addScopes: ['offline_access'], source: 'config' }],
};
