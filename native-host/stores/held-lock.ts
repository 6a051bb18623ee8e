/**
 * A lock this process holds, of either kind the storage layer takes: a flock(2) on a lock file the
 * clients share (file-lock.ts), or the bridge's cross-process refresh lock (refresh-lock.ts).
 */
export interface HeldLock {
  /** The file that is the lock. */
  readonly path: string;
  /**
   * True once the lock was found taken over or gone, so another process may now be doing what it
   * guards. A flock lives as long as our descriptor and is never lost; the refresh lock can be
   * (refresh-lock.ts says when).
   */
  lost(): boolean;
  /**
   * Tells processes waiting for this lock that what it guards has just been written, so they can
   * look before it is released. Only the refresh lock has waiters that can use it (refresh-wait.ts).
   */
  markWritten?(): void;
  /** Gives the lock up; later calls do nothing. */
  release(): Promise<void>;
}
