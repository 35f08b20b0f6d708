/**
 * The repository's example files (examples/foreshadow.yaml, examples/inventory.yaml) as the
 * integration tests run them on the shared local stack: the same documents with the few fields a
 * test must own changed (ports, directories, a run-scoped id suffix and host names, the real Redis
 * endpoint), so the examples themselves stay what a user copies.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';

export const EXAMPLE_CONFIG = 'examples/foreshadow.yaml';
export const EXAMPLE_INVENTORY = 'examples/inventory.yaml';

/** The example configuration with `set` applied (path → value; undefined deletes). */
export function exampleConfig(set: [path: (string | number)[], value: unknown][]): string {
  const doc = parseDocument(readFileSync(EXAMPLE_CONFIG, 'utf8'));
  for (const [path, value] of set) {
    if (value === undefined) doc.deleteIn(path);
    else doc.setIn(path, doc.createNode(value));
  }
  return String(doc);
}

export const EXAMPLE_HOSTS = ['eu-west-1a-01', 'eu-west-1a-02', 'eu-west-1b-01', 'eu-west-1b-02', 'eu-west-1c-01'];
export const EXAMPLE_RESOURCES = ['redis-orders', 'redis-sessions', 'orders-api'];

/**
 * The example inventory with every host and resource name prefixed by `tag` (the shared tables
 * hold other runs' entries), the inventory named `it-<tag>`, and `redis-orders` replicating from
 * `ordersEndpoint`. Actuator settings that would draw other runs' actuators in are dropped.
 */
export function exampleInventory(tag: string, ordersEndpoint: string): string {
  let text = readFileSync(EXAMPLE_INVENTORY, 'utf8');
  text = text.replace(/^name: .*$/m, `name: it-${tag}`);
  for (const n of [...EXAMPLE_HOSTS, ...EXAMPLE_RESOURCES])
    text = text.replaceAll(new RegExp(`\\b${n}\\b`, 'g'), `${tag}-${n}`);
  text = text.replace(/config: \{ haproxy\.backend: [^}]*\}/g, 'config: {}');
  const doc = parseDocument(text);
  doc.setIn(['resources', 0, 'replicationEndpoint'], ordersEndpoint);
  return String(doc);
}
