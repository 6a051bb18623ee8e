export interface Command {
  name: string;
  summary: string;
  /** Full --help text. */
  help: string;
  /** Returns the process exit code. */
  run(args: string[]): Promise<number>;
}
