/**
 * Step-up authorization (MCP authorization spec, "Scope Challenge Handling"): a server that
 * answers 403 with `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"` gets a new
 * login asking for the union of the scopes the login holds and the challenged ones. Attempts are
 * counted per union, so a provider that keeps granting less than asked never loops the user
 * through the browser: after `maxAttempts` the 403 goes back to the client as an error.
 */
export class StepUp {
  readonly #login: (scopes: string[]) => Promise<void>;
  readonly #maxAttempts: number;
  readonly #attempts = new Map<string, number>();
  readonly #inFlight = new Map<string, Promise<void>>();

  constructor(login: (scopes: string[]) => Promise<void>, maxAttempts = 2) {
    this.#login = login;
    this.#maxAttempts = maxAttempts;
  }

  /**
   * Logs in with `granted` ∪ `challenged`; resolves true when a login ran (or one for the same
   * scopes just finished), false when the attempts for these scopes are used up.
   */
  async request(granted: string, challenged: string): Promise<boolean> {
    const scopes = union(granted, challenged);
    const key = scopes.join(' ');
    const running = this.#inFlight.get(key);
    if (running) return running.then(() => true);
    const used = this.#attempts.get(key) ?? 0;
    if (used >= this.#maxAttempts) return false;
    this.#attempts.set(key, used + 1);
    const login = this.#login(scopes).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, login);
    await login;
    return true;
  }
}

/** The scopes of both lists, each once, in a stable order (so equal sets are one key). */
export function union(a: string, b: string): string[] {
  return [...new Set([...a.split(' '), ...b.split(' ')].filter(Boolean))].sort();
}
