/**
 * Which authorization server a Gemini CLI entry belongs to. Gemini records the token endpoint
 * (`tokenUrl`) but not the issuer, and drops any field it does not know when it rewrites an entry
 * after its own refresh; `token`'s rotation sync, though, treats a copy as the same login only when
 * issuer and client id both match. So when we write a Gemini entry we also note, in our own data
 * dir, the issuer whose token endpoint that is; reading an entry looks its `tokenUrl` up there.
 *
 * Not a secret (two public URLs), and only ever a hint: a missing or damaged file, or an endpoint
 * not noted, leaves the issuer unknown, and the copy is then treated as another login (never
 * adopted), which is what happened before this existed.
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { readTextIfExists, writeFileAtomic } from '../../stores/atomic-file';
import { isObject } from '../../stores/entry-fields';
import { dataDir } from '../../paths';

export class GeminiIssuers {
  readonly path: string;

  constructor(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform) {
    this.path = join(dataDir(env, platform), 'gemini-cli-issuers.json');
  }

  async #load(): Promise<Record<string, string>> {
    try {
      const parsed: unknown = JSON.parse((await readTextIfExists(this.path)) ?? '{}');
      if (!isObject(parsed)) return {};
      return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
    } catch {
      return {};
    }
  }

  async issuerFor(tokenUrl: string | undefined): Promise<string | undefined> {
    if (!tokenUrl) return undefined;
    return (await this.#load())[tokenUrl];
  }

  /** Notes `issuer` for `tokenUrl`; a failure only loses the hint, so it never fails a login. */
  async note(tokenUrl: string, issuer: string): Promise<void> {
    try {
      const known = await this.#load();
      if (known[tokenUrl] === issuer) return;
      await mkdir(join(this.path, '..'), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.path, JSON.stringify({ ...known, [tokenUrl]: issuer }, null, 2), 0o600);
    } catch {
      // The hint is lost; rotation sync then leaves Gemini's copy alone unless it holds a spent token.
    }
  }
}
