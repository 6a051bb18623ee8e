/**
 * The absolute path of the running host bundle's entry file, set by main.ts. With the bundle split
 * into chunks, a command's own `import.meta.url` names its chunk, not the file a launcher must run.
 */
let entry: string | undefined;

export function setEntryScript(path: string): void {
  entry = path;
}

export function entryScript(): string {
  if (!entry) throw new Error('entry script not set (main.ts sets it at start)');
  return entry;
}
