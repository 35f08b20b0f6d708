/**
 * Flag parsing for the CLI commands and the benchmark entry points: `node:util` `parseArgs` in
 * strict mode, so a misspelt or unknown flag is refused (exit code 2, with the usage) instead of
 * being silently ignored while the command runs with its defaults.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';

/** A command line the command cannot run with; the entry point prints it and exits with 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE_EXIT_CODE = 2;

export interface FlagSpec<O extends ParseArgsOptionsConfig> {
  /** Shown in front of every refusal, e.g. `foreshadow nab`. */
  command: string;
  usage: string;
  options: O;
  /** Whether words that are not flags (sub-commands, names) are allowed. */
  positionals?: boolean;
}

function reason(err: unknown, known: readonly string[]): string {
  const e = err as { code?: string; message?: string };
  const flag = /'(-{1,2}[^' <]+)/.exec(e.message ?? '')?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown argument ${flag ?? ''} (known: ${known.join(', ') || 'none'})`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /does not take an argument/.test(e.message ?? '')
        ? `${flag} does not take a value`
        : `${flag} needs a value (write ${flag}=<value> for one starting with a dash)`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(e.message ?? '')?.[1] ?? ''}`;
    default:
      return e.message ?? String(err);
  }
}

/** Parses `args` against `spec`; throws UsageError naming the offending flag. */
export function parseFlags<const O extends ParseArgsOptionsConfig>(args: readonly string[], spec: FlagSpec<O>) {
  try {
    return parseArgs({
      args: [...args],
      options: spec.options,
      strict: true,
      allowPositionals: spec.positionals ?? false,
    });
  } catch (err: unknown) {
    const known = Object.keys(spec.options).map((k) => `--${k}`);
    throw new UsageError(`${spec.command}: ${reason(err, known)}`, spec.usage);
  }
}

/**
 * parseFlags for top-level scripts: a refused command line prints the reason and the usage and
 * exits with 2 before any work starts.
 */
export function parseFlagsOrExit<const O extends ParseArgsOptionsConfig>(args: readonly string[], spec: FlagSpec<O>) {
  try {
    return parseFlags(args, spec);
  } catch (err: unknown) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${err.message}\n${err.usage}`);
    process.exit(USAGE_EXIT_CODE);
  }
}

/** A flag's value as a number; refuses text, NaN and (unless allowed) negatives. */
export function numberFlag(
  value: string | undefined,
  flag: string,
  spec: { command: string; usage: string },
  { min = 0, integer = false }: { min?: number; integer?: boolean } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    const what = integer ? 'an integer' : 'a number';
    throw new UsageError(`${spec.command}: --${flag} needs ${what} ≥ ${min}, got "${value}"`, spec.usage);
  }
  return n;
}

/**
 * Runs a script's main with the usage convention: a UsageError prints its message and the usage
 * and exits with 2; any other error prints and exits with 1. `exit` ends the process with the code
 * (for scripts whose clients keep the event loop alive after their work is done).
 */
export function runMain(main: () => Promise<number | undefined>, { exit = false }: { exit?: boolean } = {}): void {
  const done = (code: number): void => {
    if (exit) process.exit(code);
    process.exitCode = code;
  };
  main().then(
    (code) => done(code ?? 0),
    (err: unknown) => {
      if (err instanceof UsageError) {
        console.error(`${err.message}\n${err.usage}`);
        done(USAGE_EXIT_CODE);
        return;
      }
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      done(1);
    },
  );
}
