/**
 * FailoverCommand, the value of failover.commands (key = primary region): one step of a region
 * failover for the actuators. Per-resource promotions travel on shadow.commands. An advisory
 * command (advise mode) is a recommendation no actuator carries out.
 */
import { z } from 'zod';
import { count, epochMs, fields, id, nonNegative, oneOf } from '../../streams/validation/checks.js';
import type { AvroValue } from '../avro-schema.js';
import { defineRecord, type RecordValue } from '../record.js';
import { MAX_LAUNCH_LEVELS } from './shadow-blueprint.js';

const FAILOVER_COMMAND_TYPE = {
  type: 'enum',
  name: 'FailoverCommandType',
  symbols: ['LAUNCH_LEVEL', 'CONFIGURE_NETWORKING', 'REDIRECT_TRAFFIC', 'START_REPLICATION', 'ABORT'],
} as const;
export const FAILOVER_COMMAND_TYPES = FAILOVER_COMMAND_TYPE.symbols;
export type FailoverCommandType = AvroValue<typeof FAILOVER_COMMAND_TYPE>;

export const FAILOVER_COMMAND_RECORD = defineRecord({
  file: 'failover-command',
  schema: {
    type: 'record',
    name: 'FailoverCommand',
    namespace: 'dev.foreshadow',
    doc: 'A step of a region failover for the actuators (topic failover.commands, key = primary region). Per-resource promotions travel on shadow.commands.',
    fields: [
      { name: 'commandId', type: 'string' },
      { name: 'failoverId', type: 'string' },
      { name: 'type', type: FAILOVER_COMMAND_TYPE },
      { name: 'primaryRegion', type: 'string' },
      { name: 'shadowRegion', type: 'string' },
      { name: 'epoch', type: 'long' },
      { name: 'blueprintVersion', type: 'long' },
      { name: 'level', type: 'int', default: -1 },
      {
        name: 'services',
        type: {
          type: 'array',
          items: {
            type: 'record',
            name: 'ServiceLaunch',
            fields: [
              { name: 'service', type: 'string' },
              { name: 'instances', type: 'int' },
              { name: 'cpuPerInstance', type: 'double' },
              { name: 'memoryMbPerInstance', type: 'long' },
              { name: 'configRef', type: 'string', default: '' },
            ],
          },
        },
        default: [],
      },
      { name: 'dryRun', type: 'boolean', default: false },
      {
        name: 'provisionOnly',
        type: 'boolean',
        default: false,
        doc: "LAUNCH_LEVEL: boot the services' instances with their configuration but do not start the services; a later LAUNCH_LEVEL of the same services (provisionOnly false) starts them on those instances. Lets a failover launch all of a blueprint's capacity at once and start services in dependency order. An actuator that ignores it starts the services at once, which is safe: the later launch of the same services finds them running.",
      },
      { name: 'issuedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
      {
        name: 'advisory',
        type: 'boolean',
        default: false,
        doc: 'a recommendation of an orchestrator in advise mode: recorded for operators, never carried out (actuators skip it)',
      },
    ],
  },
  checks: (clock) =>
    fields({
      commandId: id(),
      failoverId: id(),
      type: oneOf(FAILOVER_COMMAND_TYPES),
      primaryRegion: id(),
      epoch: count(),
      blueprintVersion: count(),
      // -1: not a launch step.
      level: z
        .number()
        .int()
        .min(-1)
        .max(MAX_LAUNCH_LEVELS - 1),
      services: z.array(
        fields({ service: id(), instances: count(), cpuPerInstance: nonNegative(), memoryMbPerInstance: count() }),
      ),
      issuedAt: epochMs(clock),
    }),
});

export type FailoverCommand = RecordValue<typeof FAILOVER_COMMAND_RECORD>;
/** The services one LAUNCH_LEVEL step starts, with their shape. */
export type ServiceLaunch = FailoverCommand['services'][number];
