/** The `status` answer: the logins the popup lists, the bridge's own and each client's. */
import { accountName } from '../../../shared/account';
import { isObject } from '../../../shared/field-reader';
import { CLIENT_NAMES, LIMITS, type ClientLoginSummary, type CredentialSummary, type StatusResult } from '../../../shared/protocol';
import { MAX_TEXT, bool, invalid, num, optionalStr, parseNotices, str } from './answer-fields';

/** More logins than anyone configures: a longer list is a broken host, not something to render. */
const MAX_STATUS_ENTRIES = 500;
const KNOWN_CLIENTS = new Set<string>(CLIENT_NAMES);

function expiry(obj: Record<string, unknown>): number | null {
  return obj.expiresAt === null ? null : num(obj, 'expiresAt');
}

function list(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) invalid(`"${field}" must be an array`);
  if (value.length > MAX_STATUS_ENTRIES) invalid(`"${field}" has more than ${MAX_STATUS_ENTRIES} entries`);
  return value;
}

function parseCredentialSummary(value: unknown): CredentialSummary {
  if (!isObject(value)) invalid('every "credentials" entry must be an object');
  // The scope may legitimately be empty (the server granted none it would name).
  if (typeof value.scope !== 'string' || value.scope.length > MAX_TEXT) invalid('"scope" must be a string');
  if (value.store !== 'bridge') invalid('"store" of a credential must be "bridge"');
  const reason = optionalStr(value, 'reason');
  // A name for display only: one that is too long or holds control characters is left out (the
  // login still shows), never passed on (shared/account.ts).
  const account = accountName(value.account);
  return {
    serverUrl: str(value, 'serverUrl', LIMITS.maxUrlLength),
    issuer: str(value, 'issuer', LIMITS.maxUrlLength),
    ...(account ? { account } : {}),
    clientId: str(value, 'clientId', 500),
    scope: value.scope,
    expiresAt: expiry(value),
    refreshCapable: bool(value, 'refreshCapable'),
    ...(reason ? { reason } : {}),
    ...(value.loginNeeded === true ? { loginNeeded: true as const } : {}),
    store: 'bridge',
  };
}

function parseClientLogin(value: unknown): ClientLoginSummary | null {
  if (!isObject(value)) invalid('every "clients" entry must be an object');
  const client = str(value, 'client', 64);
  const parsed = {
    server: str(value, 'server', 500),
    serverUrl: str(value, 'serverUrl', LIMITS.maxUrlLength),
    loggedIn: bool(value, 'loggedIn'),
    refreshCapable: bool(value, 'refreshCapable'),
    expiresAt: expiry(value),
  };
  const issuer = optionalStr(value, 'issuer', LIMITS.maxUrlLength);
  const label = optionalStr(value, 'label', 100);
  const store = optionalStr(value, 'store', 64);
  // Codex's reason can carry the config lines to add, so it gets more room than a headline.
  const reason = optionalStr(value, 'reason', 2 * MAX_TEXT);
  // A later host may report clients this extension does not know yet: skipped, not fatal, so
  // the logins it does know still show.
  if (!KNOWN_CLIENTS.has(client)) return null;
  return {
    client: client as ClientLoginSummary['client'],
    ...(label ? { label } : {}),
    ...parsed,
    ...(issuer ? { issuer } : {}),
    ...(store ? { store } : {}),
    ...(reason ? { reason } : {}),
  };
}

/**
 * Checks a `status` result. It is only displayed, never acted on, but it is displayed: every
 * field is checked and only the listed ones are copied out, so nothing else a host might add
 * (let alone a token) reaches the popup.
 */
export function parseStatusResult(data: unknown): StatusResult {
  if (!isObject(data)) invalid('the "status" result must be an object');
  const credentials = list(data.credentials, 'credentials').map(parseCredentialSummary);
  const pendingFlows = num(data, 'pendingFlows');
  if (!Number.isInteger(pendingFlows) || pendingFlows < 0) invalid('"pendingFlows" must be a whole number');
  // `clients` is left out when the host could not read the clients' stores.
  const clients =
    data.clients === undefined || data.clients === null
      ? undefined
      : list(data.clients, 'clients')
          .map(parseClientLogin)
          .filter((c): c is ClientLoginSummary => c !== null);
  const damaged =
    data.damaged === undefined || data.damaged === null
      ? undefined
      : list(data.damaged, 'damaged').map((d) => {
          if (!isObject(d)) invalid('every "damaged" entry must be an object');
          return { serverUrl: str(d, 'serverUrl', LIMITS.maxUrlLength), error: str(d, 'error', 2 * MAX_TEXT) };
        });
  const clientProblems = parseNotices(data.clientProblems, 'clientProblems');
  return {
    credentials,
    ...(damaged?.length ? { damaged } : {}),
    ...(clients ? { clients } : {}),
    ...(clientProblems?.length ? { clientProblems } : {}),
    pendingFlows,
  };
}
