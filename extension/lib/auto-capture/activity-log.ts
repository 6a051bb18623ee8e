/**
 * The activity of automatic capture, one record per login chain, in IndexedDB (via `idb`) so the
 * popup can show recent chains after the service worker slept. A record holds origins, the tool's
 * (public) client id, ports and parameter names — never a URL query, a code, a state or a token.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

export type ChainOutcome =
  /** The chain is still running (or its worker died: see `interrupted`). */
  | 'waiting'
  /** The provider sent the browser back to the tool's loopback callback. */
  | 'callback'
  /** …with `error=` instead of a code (e.g. the user denied). */
  | 'callback-error'
  | 'tab-closed'
  /** The user took the tab to another address before the sign-in finished. */
  | 'left'
  | 'expired'
  /** The browser's worker restarted mid-chain; what happened next is unknown. */
  | 'interrupted';

export interface ChainRecord {
  id: string;
  startedAt: number;
  endedAt?: number;
  /** The tool's OAuth client id (public). */
  clientId: string;
  redirectPort: number;
  /** Origin of the chain's first request: the provider, or the MCP server's own authorization server. */
  serverOrigin: string;
  /** The provider rule that matched a hop of the chain, if any. */
  provider?: { ruleId: string; name: string; origin: string };
  /** Parameter names the extension added at the provider (empty when already present). */
  paramsAdded: string[];
  /** How they got there: by the tab's rules before the request left, or by one re-navigation. */
  appliedBy?: 'rule' | 'renavigation';
  outcome: ChainOutcome;
}

export interface ActivityStore {
  put(record: ChainRecord): Promise<void>;
  /** Newest first. */
  recent(limit: number): Promise<ChainRecord[]>;
  /** Marks every `waiting` record `interrupted` (at worker start). */
  interruptWaiting(now: number): Promise<number>;
}

interface Schema extends DBSchema {
  chains: { key: string; value: ChainRecord; indexes: { startedAt: number } };
}

export const ACTIVITY_DB = 'mcp-login-bridge-activity';
/** Older records are deleted beyond this many. */
const KEEP = 100;

export class IdbActivityStore implements ActivityStore {
  private db: Promise<IDBPDatabase<Schema>> | null = null;

  private open(): Promise<IDBPDatabase<Schema>> {
    this.db ??= openDB<Schema>(ACTIVITY_DB, 1, {
      upgrade(db) {
        db.createObjectStore('chains', { keyPath: 'id' }).createIndex('startedAt', 'startedAt');
      },
    });
    return this.db;
  }

  async put(record: ChainRecord): Promise<void> {
    const db = await this.open();
    const tx = db.transaction('chains', 'readwrite');
    await tx.store.put(record);
    // Trim the oldest beyond KEEP.
    let extra = (await tx.store.count()) - KEEP;
    let cursor = await tx.store.index('startedAt').openCursor();
    while (cursor && extra > 0) {
      await cursor.delete();
      extra -= 1;
      cursor = await cursor.continue();
    }
    await tx.done;
  }

  async recent(limit: number): Promise<ChainRecord[]> {
    const db = await this.open();
    const out: ChainRecord[] = [];
    let cursor = await db.transaction('chains').store.index('startedAt').openCursor(null, 'prev');
    while (cursor && out.length < limit) {
      out.push(cursor.value);
      cursor = await cursor.continue();
    }
    return out;
  }

  async interruptWaiting(now: number): Promise<number> {
    const db = await this.open();
    const tx = db.transaction('chains', 'readwrite');
    let n = 0;
    let cursor = await tx.store.openCursor();
    while (cursor) {
      if (cursor.value.outcome === 'waiting') {
        await cursor.update({ ...cursor.value, outcome: 'interrupted', endedAt: now });
        n += 1;
      }
      cursor = await cursor.continue();
    }
    await tx.done;
    return n;
  }
}

/** Popup text for one record: what happened, in one line. */
export function describeChain(r: ChainRecord): string {
  const where = r.provider ? `${r.provider.name} (${r.provider.origin})` : 'no provider rule matched';
  const via = r.serverOrigin !== r.provider?.origin ? ` via ${r.serverOrigin}` : '';
  const added = r.provider
    ? r.paramsAdded.length
      ? `added ${r.paramsAdded.join(', ')}${r.appliedBy === 'renavigation' ? ' (by re-opening the page once)' : ''}`
      : 'parameters already present'
    : 'nothing added';
  const outcome: Record<ChainOutcome, string> = {
    waiting: 'waiting for the sign-in',
    callback: 'returned to the tool',
    'callback-error': 'returned to the tool with an error',
    'tab-closed': 'tab closed before the sign-in finished',
    left: 'the tab went to another address before the sign-in finished',
    expired: 'no callback within 10 minutes',
    interrupted: 'interrupted (browser worker restarted)',
  };
  return `Client ${r.clientId} on port ${r.redirectPort}${via}: ${where}; ${added}; ${outcome[r.outcome]}.`;
}
