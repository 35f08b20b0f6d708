/**
 * Run before every benchmark that drives the stack (`npm run bench`, `bench:runtime`,
 * `bench:failover`, `bench:region-failover`, `bench:startup`, `bench:takeover`): if Kafka or the registry is not reachable, one
 * line says how to start it and the command stops within seconds, instead of minutes of client
 * retries ending in a stack trace. (`bench:region-failover:model`, `bench:scorer` and `bench:fleet` need no stack.)
 */
import { parseFlagsOrExit } from '../cli/args.js';
import { requireStack } from '../cli/cluster-check.js';
import { loadConnection } from '../streams/runtime/config.js';

const { values } = parseFlagsOrExit(process.argv.slice(2), {
  command: 'require-stack',
  usage: 'usage: tsx bench/require-stack.ts [--kafka-only]',
  options: { 'kafka-only': { type: 'boolean' } },
});
await requireStack(loadConnection(), { registry: values['kafka-only'] !== true });
