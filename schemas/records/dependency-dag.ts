/**
 * DependencyDag, the value of region.dependencies (compacted, key = region): a region's service
 * dependency DAG. `dag` is JSON in the documented DAG format (docs/dag-format.md), judged by its
 * decoder in the consumers.
 */
import { count, epochMs, fields, id } from '../../streams/validation/checks.js';
import { defineRecord, type RecordValue } from '../record.js';

export const DEPENDENCY_DAG_RECORD = defineRecord({
  file: 'dependency-dag',
  schema: {
    type: 'record',
    name: 'DependencyDag',
    namespace: 'dev.foreshadow',
    doc: "A region's service dependency DAG (topic region.dependencies, compacted, key = region). `dag` is JSON in the documented DAG format (schemas/README.md).",
    fields: [
      { name: 'region', type: 'string' },
      { name: 'version', type: 'long' },
      { name: 'generatedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'nodeCount', type: 'int' },
      { name: 'edgeCount', type: 'int' },
      { name: 'cycleCount', type: 'int' },
      { name: 'levelCount', type: 'int' },
      { name: 'dag', type: 'string' },
    ],
  },
  checks: (clock) =>
    fields({
      region: id(),
      version: count(),
      generatedAt: epochMs(clock),
      nodeCount: count(),
      edgeCount: count(),
      cycleCount: count(),
      levelCount: count(),
      dag: id(),
    }),
});

export type DependencyDag = RecordValue<typeof DEPENDENCY_DAG_RECORD>;
