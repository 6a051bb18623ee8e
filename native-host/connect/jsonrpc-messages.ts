/**
 * What `connect` needs to know of a JSON-RPC message it passes on: whether it is a request (an
 * answer is owed to the client) or a response, and which requests a POST body carries. The
 * messages themselves are the SDK's types, never rewritten.
 */
import type { JSONRPCMessage, JSONRPCRequest, RequestId } from '@modelcontextprotocol/sdk/types.js';

export function isRequest(m: JSONRPCMessage): m is JSONRPCRequest {
  return 'method' in m && 'id' in m;
}

export function isResponse(m: JSONRPCMessage): m is Extract<JSONRPCMessage, { id?: RequestId }> & ({ result: unknown } | { error: unknown }) {
  return !('method' in m) && ('result' in m || 'error' in m);
}

/** The requests in a POST body (one message, or a batch from an older client); none for anything else. */
export function requestsIn(body: unknown): Array<{ id: RequestId; method: unknown }> {
  if (typeof body !== 'string' || !body.includes('"method"')) return [];
  try {
    const parsed: unknown = JSON.parse(body);
    const all = Array.isArray(parsed) ? parsed : [parsed];
    return all.filter((m) => m && typeof m === 'object' && 'method' in m && 'id' in m) as Array<{ id: RequestId; method: unknown }>;
  } catch {
    return [];
  }
}
