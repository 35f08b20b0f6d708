/**
 * `foreshadow inventory apply <file.yaml> [--dry-run] [--config foreshadow.yaml] [--show-unchanged]`:
 * declares hosts and resources like `kubectl apply` (cli/inventory/): checks the file (every
 * problem at once, with its line), reads the current `hosts` and `deployments` tables, prints what
 * is added, changed (with the fields) and removed, and writes it, tombstoning what this inventory
 * declared before and no longer does. `--dry-run` reads and prints but writes nothing. The cluster
 * comes from the environment, or from `--config`'s `cluster` section.
 */
import { type KafkaConnection, loadConnection } from '../../streams/runtime/config.js';
import { parseFlags, UsageError } from '../args.js';
import { checkCluster } from '../cluster-check.js';
import type { CliCommand } from '../command.js';
import { diffInventory, type InventoryDiff, renderDiff, summarise } from '../inventory/inventory-diff.js';
import { inventoryFrom } from '../inventory/inventory-file.js';
import { readInventoryTables, writeInventoryDiff } from '../inventory/inventory-tables.js';
import { connectionFor, loadRunConfig } from '../run/config-loader.js';
import { readYamlSource } from '../yaml-source.js';

export const INVENTORY_FLAGS = {
  command: 'inventory',
  usage:
    'usage: foreshadow inventory apply <inventory.yaml> [--dry-run] [--config <foreshadow.yaml>] [--show-unchanged]',
  options: {
    'dry-run': { type: 'boolean' },
    config: { type: 'string', short: 'c' },
    'show-unchanged': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  positionals: true,
} as const;

/** The command line of `foreshadow inventory`; throws UsageError on an unknown flag or sub-command. */
export function parseInventoryArgs(args: readonly string[]) {
  const parsed = parseFlags(args, INVENTORY_FLAGS);
  const [sub, file, ...rest] = parsed.positionals;
  if (!parsed.values.help) {
    if (sub !== 'apply')
      throw new UsageError(`inventory: unknown sub-command ${sub ?? '(none)'}`, INVENTORY_FLAGS.usage);
    if (!file) throw new UsageError('inventory: apply needs an inventory file', INVENTORY_FLAGS.usage);
    if (rest.length > 0) throw new UsageError(`inventory: unexpected argument ${rest[0]}`, INVENTORY_FLAGS.usage);
  }
  return { values: parsed.values, positionals: parsed.positionals, file };
}

function summaryLine(diff: InventoryDiff): string {
  const s = summarise(diff);
  const part = (c: (typeof s)['hosts']) =>
    `${c.added} added, ${c.changed} changed, ${c.removed} removed, ${c.unchanged} unchanged`;
  return `hosts: ${part(s.hosts)}; resources: ${part(s.deployments)}`;
}

export const command: CliCommand = {
  summary: 'declare hosts and resources (inventory apply <file.yaml> [--dry-run]), like kubectl apply',
  async run(args) {
    const { values, file } = parseInventoryArgs(args);
    if (values.help || file === undefined) {
      console.log(INVENTORY_FLAGS.usage);
      return 0;
    }
    const source = readYamlSource(file);
    const conn: KafkaConnection = values.config ? connectionFor(loadRunConfig(values.config).config) : loadConnection();
    try {
      await checkCluster(conn, { hint: 'set KAFKA_BROKERS / SCHEMA_REGISTRY_URL or pass --config foreshadow.yaml' });
    } catch (err: unknown) {
      // Out of reach: what can be checked without the tables is still reported first.
      inventoryFrom(source, undefined);
      throw err;
    }
    process.env.SCHEMA_REGISTRY_URL = conn.registryUrl;
    const tables = await readInventoryTables(conn);
    const inventory = inventoryFrom(source, tables.hosts);
    const diff = diffInventory(inventory, tables.hosts, tables.deployments);
    console.log(
      `inventory ${inventory.name} (${file}) against hosts/deployments at ${conn.brokers.join(',')}: ${tables.hosts.size} hosts, ${tables.deployments.size} resources in the tables`,
    );
    if (tables.undecodable > 0) console.log(`(${tables.undecodable} undecodable table records skipped)`);
    for (const line of renderDiff(diff, values['show-unchanged'] ?? false)) console.log(line);
    console.log(summaryLine(diff));
    if (values['dry-run']) {
      console.log('dry run: nothing written');
      return 0;
    }
    const written = await writeInventoryDiff(conn, diff);
    console.log(`applied: ${written} records written`);
    return 0;
  },
};
