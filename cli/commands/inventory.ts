/**
 * `foreshadow inventory apply <file.yaml> [--dry-run] [--config foreshadow.yaml] [--show-unchanged]`:
 * declares hosts and resources like `kubectl apply` (cli/inventory/): checks the file (every
 * problem at once, with its line), reads the current `hosts` and `deployments` tables, prints what
 * is added, changed (with the fields) and removed, and writes it, tombstoning what this inventory
 * declared before and no longer does. `--dry-run` reads and prints but writes nothing. The cluster
 * comes from the environment, or from `--config`'s `cluster` section.
 */
import { parseArgs } from 'node:util';
import { type KafkaConnection, loadConnection } from '../../streams/runtime/config.js';
import { checkCluster } from '../cluster-check.js';
import type { CliCommand } from '../command.js';
import { diffInventory, type InventoryDiff, renderDiff, summarise } from '../inventory/inventory-diff.js';
import { inventoryFrom } from '../inventory/inventory-file.js';
import { readInventoryTables, writeInventoryDiff } from '../inventory/inventory-tables.js';
import { connectionFor, loadRunConfig } from '../run/config-loader.js';
import { readYamlSource } from '../yaml-source.js';

const USAGE =
  'usage: foreshadow inventory apply <inventory.yaml> [--dry-run] [--config <foreshadow.yaml>] [--show-unchanged]';

export const INVENTORY_OPTIONS = {
  'dry-run': { type: 'boolean' },
  config: { type: 'string', short: 'c' },
  'show-unchanged': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseInventoryArgs(args: string[]) {
  return parseArgs({ args, options: INVENTORY_OPTIONS, strict: true, allowPositionals: true });
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
    let parsed: ReturnType<
      typeof parseArgs<{ args: string[]; options: typeof INVENTORY_OPTIONS; allowPositionals: true }>
    >;
    try {
      parsed = parseArgs({ args, options: INVENTORY_OPTIONS, strict: true, allowPositionals: true });
    } catch (err: unknown) {
      console.error(`foreshadow inventory: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const [sub, file, ...rest] = positionals;
    if (sub !== 'apply' || !file || rest.length > 0) {
      console.error(USAGE);
      return 2;
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
