/**
 * `foreshadow actuators run <kind> --config <file> [--codec avro|json] [--group <id>]`: runs one
 * actuator until SIGINT/SIGTERM. `foreshadow actuators list` prints the provider kinds.
 */

import { PROVIDER_KINDS } from '../../sinks/providers.js';
import { isProviderKind, readProviderOptions, runActuator } from '../../sinks/run-actuator.js';
import type { CliCommand } from '../command.js';

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const usage =
  'usage: foreshadow actuators run <kind> --config <file.json|yaml> [--codec avro|json] [--group <id>] | list';

export const command: CliCommand = {
  summary: 'run an actuator (redis, haproxy, dns, webhook, simulated, aws) on shadow/failover commands',
  async run(args) {
    const [sub, kind] = args;
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
    const file = flag(args, '--config');
    const codec = flag(args, '--codec') ?? 'avro';
    if (codec !== 'avro' && codec !== 'json') {
      console.error(usage);
      return 2;
    }
    const group = flag(args, '--group');
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
