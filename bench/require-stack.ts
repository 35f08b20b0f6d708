/**
 * Run before every benchmark that drives the stack (`npm run bench`, `bench:runtime`,
 * `bench:failover`, `bench:startup`, `bench:takeover`): if Kafka or the registry is not reachable, one
 * line says how to start it and the command stops within seconds, instead of minutes of client
 * retries ending in a stack trace. (`bench:region-failover` runs on a virtual clock and needs none.)
 */
import { requireStack } from '../cli/cluster-check.js';
import { loadConnection } from '../streams/runtime/config.js';

await requireStack(loadConnection(), { registry: !process.argv.includes('--kafka-only') });
