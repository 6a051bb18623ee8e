/**
 * What the user is told about a login, as plain data: the background builds it, keeps the recent
 * ones in `storage.session`, and the popup and callback page render it the same way. It is built
 * from validated host results field by field, so no token or code can end up in it.
 */
import type { CompleteResult } from '../../shared/protocol';
import { describeErrorCode, type DisplayError } from './extension-errors';

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
}

export type FormatTime = (epochMs: number) => string;

export const formatLocalTime: FormatTime = (ms) =>
  new Date(ms).toLocaleString(undefined, { hour: '2-digit', minute: '2-digit', month: 'short', day: 'numeric' });

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
    details: [`Signing in at ${new URL(b.authorizeUrl).origin}; this login expires at ${formatTime(b.expiresAt)}.`],
  };
}

export function finishingSummary(b: SummaryBase): ResultSummary {
  return { ...base(b), state: 'pending', message: `Finishing the login to ${b.serverUrl}…`, details: [] };
}

function describeStored(result: CompleteResult): string {
  if (result.stored.length === 0) return 'Stored nowhere: the host reported no credential store.';
  return `Stored in: ${result.stored.map((s) => `${s.location} (${s.target}${s.server ? `, server "${s.server}"` : ''})`).join('; ')}.`;
}

/** The host's notices about the clients, one line each, as the host worded them. */
function describeNotices(result: CompleteResult): string[] {
  return (result.notices ?? []).map((n) => `${n.target}${n.server ? ` (${n.server})` : ''}: ${n.message}`);
}

export function completedSummary(b: SummaryBase, result: CompleteResult, formatTime: FormatTime): ResultSummary {
  const server = result.serverUrl;
  const accessExpiry = result.expiresAt === null ? 'the server did not say when' : formatTime(result.expiresAt);
  const common = { ...base(b), serverUrl: server };
  if (result.refreshCapable && !result.warning) {
    return {
      ...common,
      state: 'success',
      message: `Logged in to ${server}; refresh token stored (access token expires ${accessExpiry}, the refresh token renews it).`,
      details: [describeStored(result), ...describeNotices(result), `Issuer: ${result.issuer}`],
    };
  }
  const details: string[] = [];
  if (result.warning) details.push(result.warning.message, `Host warning ${result.warning.code} ${result.warning.name}`);
  if (!result.refreshCapable && !result.warning) {
    details.push('The identity provider issued no refresh token, so you will have to log in again when the access token expires.');
  }
  details.push(describeStored(result), ...describeNotices(result), `Issuer: ${result.issuer}`);
  return {
    ...common,
    state: 'warning',
    message: result.refreshCapable
      ? `Logged in to ${server}; refresh token stored (access token expires ${accessExpiry}).`
      : `Logged in to ${server} without a refresh token (access token expires ${accessExpiry}).`,
    details,
  };
}

export function errorSummary(b: SummaryBase, error: DisplayError): ResultSummary {
  const details = [describeErrorCode(error)];
  if (b.serverUrl) details.push(`Server: ${b.serverUrl}`);
  return { ...base(b), state: 'error', message: error.message, details, error };
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
