/**
 * `foreshadow schemas`: registers every catalogue value schema as `<topic>-value`, BACKWARD.
 * `--write` regenerates schemas/<file>.avsc from the record modules (schemas/records/) instead, and
 * `--check` exits 1 when a committed .avsc differs from its declaration; neither needs a registry.
 */
import { avscPath, staleAvscFiles, writeAvscFiles } from '../../schemas/avsc-files.js';
import { SchemaCatalogue } from '../../schemas/registry.js';
import { loadConnection } from '../../streams/runtime/config.js';
import { parseFlags } from '../args.js';
import type { CliCommand } from '../command.js';

const FLAGS = {
  command: 'schemas',
  usage: 'usage: foreshadow schemas [--write | --check]',
  options: { write: { type: 'boolean' }, check: { type: 'boolean' } },
} as const;

export const command: CliCommand = {
  summary: 'register the Avro schemas (BACKWARD); --write regenerates schemas/*.avsc, --check compares them',
  async run(args) {
    const { values } = parseFlags(args, FLAGS);
    if (values.write) {
      const written = writeAvscFiles();
      for (const path of written) console.log(`wrote ${path}`);
      console.log(`${written.length} .avsc file(s) regenerated`);
      return 0;
    }
    if (values.check) {
      const stale = staleAvscFiles();
      for (const r of stale) console.error(`${avscPath(r)} differs from schemas/records/${r.file}.ts`);
      if (stale.length > 0) console.error('run `foreshadow schemas --write`');
      return stale.length > 0 ? 1 : 0;
    }
    const conn = loadConnection();
    const catalogue = new SchemaCatalogue(conn.registryUrl);
    const registered = await catalogue.registerCatalogue();
    for (const r of registered) console.log(`registered ${r.subject.padEnd(28)} id ${r.id}`);
    console.log(`${registered.length} schemas registered at ${conn.registryUrl}`);
    return 0;
  },
};
