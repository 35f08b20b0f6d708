/**
 * The `foreshadow` command line. Each subcommand is a module in cli/commands/<name>.ts exporting
 * `command: CliCommand`, so adding one never touches this dispatcher.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeError, ForeshadowError } from '../streams/runtime/errors.js';
import { USAGE_EXIT_CODE, UsageError } from './args.js';
import type { CliCommand } from './command.js';

const here = dirname(fileURLToPath(import.meta.url));

function available(): string[] {
  return readdirSync(join(here, 'commands'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function load(name: string): Promise<CliCommand> {
  const mod = (await import(`./commands/${name}.js`)) as { command: CliCommand };
  return mod.command;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const names = available();
  if (!name || name === '--help' || name === 'help') {
    console.log('usage: foreshadow <command> [args]\n');
    for (const n of names) console.log(`  ${n.padEnd(14)} ${(await load(n)).summary}`);
    return name ? 0 : 2;
  }
  if (!names.includes(name)) {
    console.error(`foreshadow: unknown command "${name}"; known: ${names.join(', ')}`);
    return 2;
  }
  return (await load(name)).run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`foreshadow ${err.message}\n${err.usage}`);
      process.exitCode = USAGE_EXIT_CODE;
      return;
    }
    const ctx =
      err instanceof ForeshadowError && Object.keys(err.context).length > 0 ? ` ${JSON.stringify(err.context)}` : '';
    console.error(`foreshadow: ${describeError(err)}${ctx}`);
    process.exitCode = 1;
  },
);
