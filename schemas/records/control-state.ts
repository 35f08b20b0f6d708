/**
 * ControlState, the value of control.state (compacted, key = control id): a safety control in
 * force, as the shadow manager applied it from operator.requests — the global pause (key `pause`)
 * or a maintenance window (key = its window id). A cancelled or expired window is a tombstone.
 * The API's GET /control and /maintenance read this topic, so they show what the processors hold.
 */
import { count, epochMs, fields, id, oneOf } from '../../streams/validation/checks.js';
import type { AvroValue } from '../avro-schema.js';
import { defineRecord, type RecordValue } from '../record.js';
import { CONTROL_SCOPE, CONTROL_SCOPES } from './operator-request.js';

const CONTROL_KIND = { type: 'enum', name: 'ControlKind', symbols: ['PAUSE', 'MAINTENANCE'] } as const;
export const CONTROL_KINDS = CONTROL_KIND.symbols;
export type ControlKind = AvroValue<typeof CONTROL_KIND>;

/** The key of the global pause on control.state. */
export const PAUSE_CONTROL_ID = 'pause';

export const CONTROL_STATE_RECORD = defineRecord({
  file: 'control-state',
  schema: {
    type: 'record',
    name: 'ControlState',
    namespace: 'dev.foreshadow',
    doc: 'A safety control in force (topic control.state, compacted, key = control id): the global pause (key "pause") or a maintenance window (key = window id). Written by the shadow manager from operator.requests; a cancelled or expired window is a tombstone.',
    fields: [
      { name: 'controlId', type: 'string' },
      { name: 'kind', type: CONTROL_KIND },
      { name: 'active', type: 'boolean', doc: 'PAUSE: whether automation is paused; MAINTENANCE: always true' },
      { name: 'scope', type: CONTROL_SCOPE },
      { name: 'subject', type: 'string', default: '', doc: 'the host or region of a window; empty for the pause' },
      { name: 'reason', type: 'string', default: '' },
      { name: 'startsAt', type: 'long', default: 0, doc: 'window start (epoch ms); pause: when it began' },
      { name: 'endsAt', type: 'long', default: 0, doc: 'window end, exclusive (epoch ms); 0 for the pause' },
      { name: 'principal', type: 'string', default: '', doc: 'who set it' },
      { name: 'requestId', type: 'string', default: '', doc: 'the operator request that set it' },
      { name: 'updatedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ],
  },
  checks: (clock) =>
    fields({
      controlId: id(),
      kind: oneOf(CONTROL_KINDS),
      scope: oneOf(CONTROL_SCOPES),
      startsAt: count(),
      endsAt: count(),
      updatedAt: epochMs(clock),
    }),
});

export type ControlState = RecordValue<typeof CONTROL_STATE_RECORD>;
