/**
 * `foreshadow connectors deploy|status|delete <name|all> [--dir <configs dir>] [--timeout <ms>]`:
 * manages the Kafka Connect connectors in connectors/configs/ on CONNECT_URL. Deploy validates each
 * config through the plugin's validate endpoint first and waits until its tasks run.
 */
import {
  type ConnectorsOptions,
  connectorStatus,
  deleteConnector,
  deployConnector,
  describeStatus,
  resolveConnectors,
} from '../../connectors/deploy.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { numberFlag, parseFlags, UsageError } from '../args.js';
import type { CliCommand } from '../command.js';

const FLAGS = {
  command: 'connectors',
  usage: 'usage: foreshadow connectors deploy|status|delete <name|all> [--dir <dir>] [--timeout <ms>]',
  options: { dir: { type: 'string' }, timeout: { type: 'string' } },
  positionals: true,
} as const;
const usage = FLAGS.usage;

export const command: CliCommand = {
  summary: 'deploy, inspect or delete the Kafka Connect connectors (connectors/configs)',
  async run(args) {
    const { values, positionals } = parseFlags(args, FLAGS);
    const [action, which, extra] = positionals;
    if (extra !== undefined) throw new UsageError(`connectors: unexpected argument ${extra}`, usage);
    if (!action || !which || !['deploy', 'status', 'delete'].includes(action)) {
      console.error(usage);
      return 2;
    }
    const dir = values.dir;
    const timeout = numberFlag(values.timeout, 'timeout', FLAGS, { min: 1, integer: true });
    const o: ConnectorsOptions = {
      connectUrl: loadConnection().connectUrl,
      ...(dir ? { dir } : {}),
      ...(timeout === undefined ? {} : { timeoutMs: timeout }),
    };
    // Only deploy needs every variable; status and delete only need the names.
    const defs = await resolveConnectors(which, o, action !== 'deploy');
    let failures = 0;
    for (const def of defs) {
      try {
        if (action === 'deploy') {
          console.log(`deployed ${describeStatus(await deployConnector(def, o), def.name)}`);
        } else if (action === 'status') {
          const s = await connectorStatus(def, o);
          console.log(describeStatus(s, def.name));
          if (s?.connector.state !== 'RUNNING') failures++;
        } else {
          console.log(`${def.name}: ${(await deleteConnector(def, o)) ? 'deleted' : 'not deployed'}`);
        }
      } catch (err: unknown) {
        failures++;
        console.error(`${def.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return failures > 0 ? 1 : 0;
  },
};
