/**
 * What the user is told about a login, as plain data: the background builds it, keeps the recent
 * ones in `storage.session`, and the popup and callback page render it the same way. It is built
 * from validated host results field by field, so no token or code can end up in it.
 */
import type { CompleteResult, TargetName } from '../../../shared/protocol';
import { asSentence, describeErrorCode, type DisplayError } from '../extension-errors';

export type ResultState = 'pending' | 'success' | 'warning' | 'error';

export interface ResultSummary {
  /** Our own id for a login attempt (not its OAuth state): later updates replace earlier ones. */
  flowId: string;
  state: ResultState;
  serverUrl: string | null;
  /** The headline. */
  message: string;
  /** Further lines: where it was stored, the host's notices about the clients, its warning, the error code. */
  details: string[];
  startedAt: number;
  updatedAt: number;
  error?: DisplayError;
  /** Something the user can do about it in one click. */
  action?: ResultAction;
}

/** "Add this rule": the options page, filled in with a Google-like rule for the provider's origin. */
export interface ResultAction {
  kind: 'addRule';
  /** The identity provider's origin (from the validated host result's issuer). */
  origin: string;
}

export type FormatTime = (epochMs: number) => string;

/** Local time to the minute; the date only when it is not today (as the CLI prints it). */
export const formatLocalTime: FormatTime = (ms) => {
  const at = new Date(ms);
  const time = at.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return at.toDateString() === new Date().toDateString() ? time : `${at.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}, ${time}`;
};

export interface SummaryBase {
  flowId: string;
  serverUrl: string | null;
  startedAt: number;
  now: number;
}

function base(b: SummaryBase): Pick<ResultSummary, 'flowId' | 'serverUrl' | 'startedAt' | 'updatedAt'> {
  return { flowId: b.flowId, serverUrl: b.serverUrl, startedAt: b.startedAt, updatedAt: b.now };
}

export function waitingForSignInSummary(b: SummaryBase & { authorizeUrl: string; expiresAt: number }, formatTime: FormatTime): ResultSummary {
  return {
    ...base(b),
    state: 'pending',
    message: `Waiting for you to sign in for ${b.serverUrl} in the new tab.`,
    // The attempt's deadline, not the login's: a finished login lasts far longer.
    details: [`Signing in at ${new URL(b.authorizeUrl).origin}. Finish by ${formatTime(b.expiresAt)}, or start again.`],
  };
}

/** A second Authorize for a server whose sign-in tab is still open: that tab was brought forward. */
export function alreadyWaitingSummary(b: SummaryBase & { expiresAt: number }, formatTime: FormatTime): ResultSummary {
  return {
    ...base(b),
    state: 'pending',
    message: `The sign-in for ${b.serverUrl} is already open; finish it in that tab.`,
    details: [`Finish by ${formatTime(b.expiresAt)}, or close the tab to start again.`],
  };
}

export function finishingSummary(b: SummaryBase): ResultSummary {
  return { ...base(b), state: 'pending', message: `Finishing the login to ${b.serverUrl}…`, details: [] };
}

/** Who each store is for, in words: the host's `location` already holds parentheses and quotes. */
const TARGET_LABELS: Record<TargetName, string> = {
  bridge: 'this bridge',
  codex: 'Codex',
  'claude-code': 'Claude Code',
  'gemini-cli': 'Gemini CLI',
  'mcp-remote': 'mcp-remote',
};

/** One line per store, led by whom it is for ("Stored for Codex (server "gmail"): …"). */
function describeStored(result: CompleteResult): string[] {
  if (result.stored.length === 0) return ['Stored nowhere: the host reported no credential store.'];
  return result.stored.map((s) => `Stored for ${TARGET_LABELS[s.target] ?? s.target}${s.server ? ` (server "${s.server}")` : ''}: ${s.location}.`);
}

/** The host's notices about the clients, one line each, as the host worded them. */
function describeNotices(result: CompleteResult): string[] {
  return (result.notices ?? []).map((n) => `${TARGET_LABELS[n.target] ?? n.target}${n.server ? ` (server "${n.server}")` : ''}: ${n.message}`);
}

/**
 * `appliedRules`: the provider rules the host applied to this login's authorize request (from its
 * `begin`), when known. None applied and no refresh token: a rule is the fix, one click away.
 */
export function completedSummary(b: SummaryBase, result: CompleteResult, formatTime: FormatTime, appliedRules?: readonly string[]): ResultSummary {
  const server = result.serverUrl;
  // Which account, in the headline as `gh auth login` says it: signing in with the wrong one of
  // several Google accounts is the mistake to catch right here. Already checked by the parser
  // (shared/account.ts): a name for people, never a token.
  const loggedIn = `Logged in to ${server}${result.account ? ` as ${result.account}` : ''}`;
  // "access token expires 09:48", or, when the server gave no expiry, a clause that reads as one.
  const accessExpiry = result.expiresAt === null ? 'access token expiry not given by the server' : `access token expires ${formatTime(result.expiresAt)}`;
  const common = { ...base(b), serverUrl: server };
  if (result.refreshCapable && !result.warning) {
    return {
      ...common,
      state: 'success',
      message: `${loggedIn}; refresh token stored (${accessExpiry}, the refresh token renews it).`,
      details: [...describeStored(result), ...describeNotices(result), `Issuer: ${result.issuer}`],
    };
  }
  const noRefreshToken = !result.refreshCapable && (!result.warning || result.warning.name === 'NoRefreshToken');
  const ruleWouldHelp = noRefreshToken && appliedRules !== undefined && appliedRules.length === 0;
  const provider = new URL(result.issuer).host;
  const details: string[] = [];
  if (ruleWouldHelp) {
    // The host's own text also explains its config file; here the button below does that job.
    details.push(`${provider} issued no refresh token: it needs to be asked for offline access. Add a rule for it, then log in again.`);
    if (result.warning) details.push(`Warning code: ${result.warning.name} (${result.warning.code})`);
  } else if (result.warning) {
    details.push(asSentence(result.warning.message), `Warning code: ${result.warning.name} (${result.warning.code})`);
  } else if (noRefreshToken) {
    details.push('The identity provider issued no refresh token, so you will have to log in again when the access token expires.');
  }
  details.push(...describeStored(result), ...describeNotices(result), `Issuer: ${result.issuer}`);
  return {
    ...common,
    ...(ruleWouldHelp ? { action: { kind: 'addRule' as const, origin: new URL(result.issuer).origin } } : {}),
    state: 'warning',
    message: result.refreshCapable
      ? `${loggedIn}; refresh token stored (${accessExpiry}).`
      : `${loggedIn} without a refresh token (${accessExpiry}).`,
    details,
  };
}

export function errorSummary(b: SummaryBase, error: DisplayError): ResultSummary {
  const details = [describeErrorCode(error)];
  if (b.serverUrl) details.push(`Server: ${b.serverUrl}`);
  return { ...base(b), state: 'error', message: asSentence(error.message), details, error };
}

/**
 * The recent summaries, newest login first: an update replaces its flow's entry in place (so an
 * old flow expiring does not push a newer one out of first place), a new flow goes in front.
 */
export function mergeSummary(list: readonly ResultSummary[], summary: ResultSummary, max = 10): ResultSummary[] {
  const others = list.filter((s) => s.flowId !== summary.flowId);
  return [...others, summary].sort((a, b) => b.startedAt - a.startedAt || b.updatedAt - a.updatedAt).slice(0, max);
}

/**
 * Pending entries left by a previous service worker: their flows lived in its memory, so they will
 * never finish. Marked as errors instead of spinning forever in the popup.
 */
export function interruptPending(list: readonly ResultSummary[], now: number): ResultSummary[] {
  return list.map((s) =>
    s.state !== 'pending'
      ? s
      : errorSummary(
          { flowId: s.flowId, serverUrl: s.serverUrl, startedAt: s.startedAt, now },
          {
            source: 'extension',
            code: null,
            name: 'FlowInterrupted',
            message: 'The extension restarted while this login was in progress, so it cannot finish. Click Authorize to start again.',
          },
        ),
  );
}
