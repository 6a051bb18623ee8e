/** The `logout` answer: what was removed and what the provider's revocation did, shown to the user. */
import { isObject } from '../../../shared/field-reader';
import { LIMITS, type LogoutResult, type LogoutRevocation } from '../../../shared/protocol';
import { invalid, parseStored, str } from './answer-fields';

const TOKEN_KINDS = new Set(['refresh_token', 'access_token']);

function tokenKinds(obj: Record<string, unknown>, field: string): Array<'refresh_token' | 'access_token'> {
  const value = obj[field];
  if (!Array.isArray(value) || value.length > 2 || !value.every((t) => typeof t === 'string' && TOKEN_KINDS.has(t))) {
    invalid(`"${field}" must list refresh_token and/or access_token`);
  }
  return [...(value as Array<'refresh_token' | 'access_token'>)];
}

function parseRevocation(value: unknown): LogoutRevocation | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) invalid('"revocation" must be an object');
  switch (value.status) {
    case 'revoked':
      return { status: 'revoked', tokens: tokenKinds(value, 'tokens'), notRevocable: tokenKinds(value, 'notRevocable') };
    case 'notRevocable':
      return { status: 'notRevocable', notRevocable: tokenKinds(value, 'notRevocable') };
    case 'unsupported':
      return { status: 'unsupported' };
    case 'skipped':
    case 'failed':
      return { status: value.status, reason: str(value, 'reason') };
    default:
      invalid('"revocation.status" must be revoked, notRevocable, unsupported, skipped or failed');
  }
}

/** Checks a `logout` result: shown to the user, so only the listed fields are copied out. */
export function parseLogoutResult(data: unknown): LogoutResult {
  if (!isObject(data)) invalid('the "logout" result must be an object');
  const revocation = parseRevocation(data.revocation);
  return {
    serverUrl: str(data, 'serverUrl', LIMITS.maxUrlLength),
    removed: parseStored(data.removed, 'removed'),
    ...(revocation ? { revocation } : {}),
  };
}
