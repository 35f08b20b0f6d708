/** A subcommand of the `foreshadow` CLI (cli/commands/<name>.ts exports `command`). */
export interface CliCommand {
  summary: string;
  /** Returns the process exit code. */
  run(args: string[]): Promise<number>;
}
