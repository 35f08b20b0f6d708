/** `foreshadow schemas`: registers every catalogue value schema as `<topic>-value`, BACKWARD. */

import { SchemaCatalogue } from '../../schemas/registry.js';
import { loadConnection } from '../../streams/runtime/config.js';
import type { CliCommand } from '../command.js';

export const command: CliCommand = {
  summary: 'register the Avro schemas in the schema registry (BACKWARD compatibility)',
  async run() {
    const conn = loadConnection();
    const catalogue = new SchemaCatalogue(conn.registryUrl);
    const registered = await catalogue.registerCatalogue();
    for (const r of registered) console.log(`registered ${r.subject.padEnd(28)} id ${r.id}`);
    console.log(`${registered.length} schemas registered at ${conn.registryUrl}`);
    return 0;
  },
};
