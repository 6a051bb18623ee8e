/**
 * A User Timing mark of the latest login's step (one entry per name, replaced each time), which
 * bench/extension-capture reads to break "captured → stored" down. Nothing else reads them.
 */
export function mark(name: string, detail?: unknown): void {
  if (typeof performance === 'undefined' || typeof performance.mark !== 'function') return;
  performance.clearMarks(name);
  performance.mark(name, detail === undefined ? undefined : { detail });
}
