/**
 * The recent login results, kept in `storage.session`: cleared when the browser closes, readable
 * by the popup when it reopens. Summaries only; nothing here is a secret (see result-summary.ts).
 */
import { interruptPending, mergeSummary, type ResultSummary } from './result-summary';

export const RESULTS_STORAGE_KEY = 'recentResults';

/** The part of a `storage.StorageArea` used here. */
export interface StorageAreaLike {
  get(key: string): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
}

const STATES = new Set(['pending', 'success', 'warning', 'error']);

/** An action only as result-summary.ts makes it: an https (or loopback http) origin, nothing more. */
function validAction(action: unknown): boolean {
  if (action === undefined) return true;
  const a = action as { kind?: unknown; origin?: unknown };
  if (typeof a !== 'object' || a === null || a.kind !== 'addRule' || typeof a.origin !== 'string') return false;
  try {
    return new URL(a.origin).origin === a.origin;
  } catch {
    return false;
  }
}

/** Reads the stored list defensively: an entry of another shape (older version) is dropped. */
export function parseStoredResults(value: unknown): ResultSummary[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (s): s is ResultSummary =>
      typeof s === 'object' &&
      s !== null &&
      typeof s.flowId === 'string' &&
      STATES.has(s.state) &&
      typeof s.message === 'string' &&
      Array.isArray(s.details) &&
      typeof s.startedAt === 'number' &&
      validAction(s.action),
  );
}

export class ResultHistory {
  private readonly area: StorageAreaLike;
  private readonly max: number;
  /** Read-modify-write of one key: saves run one after another or they would drop each other's entry. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(area: StorageAreaLike, max = 10) {
    this.area = area;
    this.max = max;
  }

  async list(): Promise<ResultSummary[]> {
    return parseStoredResults((await this.area.get(RESULTS_STORAGE_KEY))[RESULTS_STORAGE_KEY]);
  }

  save(summary: ResultSummary): Promise<void> {
    return this.update((list) => mergeSummary(list, summary, this.max));
  }

  /** At service worker start: logins still pending belonged to the previous worker. */
  interruptPending(now: number): Promise<void> {
    return this.update((list) => (list.some((s) => s.state === 'pending') ? interruptPending(list, now) : null));
  }

  /** `change` returns the new list, or null for no write. */
  private update(change: (list: ResultSummary[]) => ResultSummary[] | null): Promise<void> {
    const run = this.queue.then(async () => {
      const next = change(await this.list());
      if (next) await this.area.set({ [RESULTS_STORAGE_KEY]: next });
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
