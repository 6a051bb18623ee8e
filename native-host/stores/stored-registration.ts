/**
 * A dynamically registered client (RFC 7591), kept in the bridge's keychain entry next to the
 * login made with it, so the next login to the same server reuses it instead of registering
 * another client at the authorization server each time. The client id and secret are the entry's
 * own `clientId` / `clientSecret`; this field says they came from a registration, with which
 * authorization server (the MCP authorization spec binds stored registrations to their issuer) and
 * for which redirect URIs.
 *
 * It is an optional field of the entry, parsed apart from the rest: a damaged or unknown-shaped
 * `registration` is dropped (the next login registers again), never a reason to refuse the entry
 * and with it the refresh token.
 */

export interface StoredRegistration {
  /** The issuer of the authorization server that registered the client. */
  issuer: string;
  /** The redirect URIs the server registered (port-less loopback ones match any port, RFC 8252 §7.3). */
  redirectUris: string[];
  /** Epoch ms of the registration. */
  registeredAt: number;
  /** Epoch ms after which the server said the client secret expires (RFC 7591 `client_secret_expires_at`, not 0). */
  clientSecretExpiresAt?: number;
}

const MAX_URIS = 10;
const MAX_LENGTH = 2048;

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The registration a stored entry holds, or undefined when it holds none or a malformed one. */
export function parseStoredRegistration(value: unknown): StoredRegistration | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.issuer !== 'string' || v.issuer.length === 0 || v.issuer.length > MAX_LENGTH) return undefined;
  const uris = v.redirectUris;
  if (
    !Array.isArray(uris) ||
    uris.length === 0 ||
    uris.length > MAX_URIS ||
    !uris.every((u) => typeof u === 'string' && u.length > 0 && u.length <= MAX_LENGTH)
  ) {
    return undefined;
  }
  if (!isTime(v.registeredAt)) return undefined;
  if (v.clientSecretExpiresAt !== undefined && !isTime(v.clientSecretExpiresAt)) return undefined;
  return {
    issuer: v.issuer,
    redirectUris: [...(uris as string[])],
    registeredAt: v.registeredAt,
    ...(v.clientSecretExpiresAt !== undefined ? { clientSecretExpiresAt: v.clientSecretExpiresAt } : {}),
  };
}

/** The loopback redirect URI without its port, or undefined for any other URI. */
function withoutLoopbackPort(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' || (url.hostname !== '127.0.0.1' && url.hostname !== '[::1]' && url.hostname !== 'localhost')) return undefined;
  url.port = '';
  return url.href;
}

/**
 * Whether a login redirecting to `redirectUri` may use this registration: an exact registered URI,
 * or a registered port-less loopback URI with the same host and path (RFC 8252 §7.3: the server
 * must accept any port for it).
 */
export function registrationCoversRedirect(registration: StoredRegistration, redirectUri: string): boolean {
  if (registration.redirectUris.includes(redirectUri)) return true;
  const target = withoutLoopbackPort(redirectUri);
  if (target === undefined) return false;
  return registration.redirectUris.some((uri) => {
    const parsed = URL.canParse(uri) ? new URL(uri) : undefined;
    return parsed !== undefined && parsed.port === '' && withoutLoopbackPort(uri) === target;
  });
}

/** The port-less form of a loopback redirect URI, to register once for every port. */
export function portlessRedirectUri(redirectUri: string): string | undefined {
  return withoutLoopbackPort(redirectUri);
}
