/**
 * `foreshadow actuators run <kind> --config <file> [--codec avro|json] [--group <id>]`: runs one
 * actuator until SIGINT/SIGTERM. `foreshadow actuators list` prints the provider kinds.
 */

import { PROVIDER_KINDS } from '../../sinks/providers.js';
import { isProviderKind, readProviderOptions, runActuator } from '../../sinks/run-actuator.js';
import { parseFlags, UsageError } from '../args.js';
import type { CliCommand } from '../command.js';

const FLAGS = {
  command: 'actuators',
  usage: 'usage: foreshadow actuators run <kind> --config <file.json|yaml> [--codec avro|json] [--group <id>] | list',
  options: { config: { type: 'string' }, codec: { type: 'string' }, group: { type: 'string' } },
  positionals: true,
} as const;
const usage = FLAGS.usage;

export const command: CliCommand = {
  summary: 'run an actuator (redis, haproxy, dns, webhook, simulated, aws) on shadow/failover commands',
  async run(args) {
    const { values, positionals } = parseFlags(args, FLAGS);
    const [sub, kind, extra] = positionals;
    if (extra !== undefined) throw new UsageError(`actuators: unexpected argument ${extra}`, usage);
    if (sub === 'list') {
      console.log(PROVIDER_KINDS.join('\n'));
      return 0;
    }
    if (sub !== 'run' || !kind) {
      console.error(usage);
      return 2;
    }
    if (!isProviderKind(kind)) {
      console.error(`unknown actuator kind "${kind}"; known: ${PROVIDER_KINDS.join(', ')}`);
      return 2;
    }
    const file = values.config;
    const codec = values.codec ?? 'avro';
    if (codec !== 'avro' && codec !== 'json') {
      console.error(usage);
      return 2;
    }
    const group = values.group;
    const running = await runActuator({
      kind,
      providerOptions: file ? readProviderOptions(file) : {},
      codec,
      ...(group ? { groupId: group } : {}),
    });
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await running.stop();
    return 0;
  },
};
