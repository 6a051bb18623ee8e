/** The `complete` answer: what a login got, shown in the popup and kept in its history. */
import { accountName } from '../../../shared/account';
import { isObject } from '../../../shared/field-reader';
import { LIMITS, type CompleteResult } from '../../../shared/protocol';
import { MAX_TEXT, invalid, num, parseNotices, parseStored, parseWarning, str } from './answer-fields';

/**
 * Checks a `complete` result. Only the listed fields are copied out, so whatever else a host might
 * add never reaches extension storage.
 */
export function parseCompleteResult(data: unknown): CompleteResult {
  if (!isObject(data)) invalid('the "complete" result must be an object');
  if (typeof data.refreshCapable !== 'boolean') invalid('"refreshCapable" must be true or false');
  const expiresAt = data.expiresAt === null || data.expiresAt === undefined ? null : num(data, 'expiresAt');
  const t = isObject(data.timings) ? data.timings : {};
  const ms = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const warning = parseWarning(data.warning);
  const notices = parseNotices(data.notices, 'notices');
  const account = accountName(data.account);
  return {
    serverUrl: str(data, 'serverUrl', LIMITS.maxUrlLength),
    issuer: str(data, 'issuer', LIMITS.maxUrlLength),
    ...(account ? { account } : {}),
    stored: parseStored(data.stored),
    refreshCapable: data.refreshCapable,
    expiresAt,
    scope: typeof data.scope === 'string' ? data.scope.slice(0, MAX_TEXT) : '',
    ...(warning ? { warning } : {}),
    ...(notices?.length ? { notices } : {}),
    timings: {
      totalMs: ms(t.totalMs),
      tokenEndpointMs: ms(t.tokenEndpointMs),
      storeMs: ms(t.storeMs),
      ...(typeof t.cpuMs === 'number' && Number.isFinite(t.cpuMs) ? { cpuMs: t.cpuMs } : {}),
    },
  };
}
