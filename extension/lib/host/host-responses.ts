/**
 * Validation of everything the native host sends back. The host is ours, but the extension acts on
 * its answers (opens a tab, redirects requests), so a wrong-shaped or surprising answer is refused
 * with an error that names the field, instead of being half-used. This module reads the envelope,
 * an error and `hello`; each other answer has its parser beside it, by message (`begin-result.ts`,
 * `complete-result.ts`, `status-result.ts`, `logout-result.ts`), on the readers of `answer-fields.ts`.
 */
import { isObject } from '../../../shared/field-reader';
import { LIMITS } from '../../../shared/protocol';
import type { ErrorBody, HelloResult, Response } from '../../../shared/protocol';
import { invalid, num, str } from './answer-fields';

/**
 * The envelope: `{ id, ok: true, data }` or `{ id, ok: false, error: { code, name, message } }`.
 * Returns null when there is not even an id to match it to a request.
 */
export function parseHostResponse(value: unknown): Response | null {
  if (!isObject(value) || typeof value.id !== 'string' || value.id.length > LIMITS.maxIdLength) return null;
  const id = value.id;
  if (value.ok === true) {
    if (!('data' in value)) invalid('a successful response has no "data"');
    return { id, ok: true, data: value.data };
  }
  if (value.ok === false) return { id, ok: false, error: parseErrorBody(value.error) };
  invalid('"ok" must be true or false');
}

/** A host error `{ code, name, message }` (in an error response, or a `flowSettled` push). */
export function parseErrorBody(e: unknown): ErrorBody {
  if (!isObject(e)) invalid('an error has no "error" object');
  return { code: num(e, 'code'), name: str(e, 'name', 100), message: str(e, 'message') };
}

export function parseHelloResult(data: unknown): HelloResult {
  if (!isObject(data)) invalid('the "hello" result must be an object');
  const configRules = data.configRules ?? [];
  if (!Array.isArray(configRules)) invalid('"configRules" must be an array');
  return {
    hostVersion: str(data, 'hostVersion', 64),
    protocolVersion: num(data, 'protocolVersion'),
    // Not used by the click-to-authorize flow; automatic capture validates them with parseRule.
    configRules: configRules as HelloResult['configRules'],
  };
}
