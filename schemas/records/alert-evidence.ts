/**
 * AlertEvidence, the value of alerts (key = host): an Alertmanager alert received on POST /alerts,
 * risk evidence; the firing ones matched as failures also became host.failures records.
 */
import { epochMs, fields, id, nullable, oneOf } from '../../streams/validation/checks.js';
import type { AvroValue } from '../avro-schema.js';
import { defineRecord, type RecordValue } from '../record.js';

const ALERT_STATUS = { type: 'enum', name: 'AlertStatus', symbols: ['FIRING', 'RESOLVED'] } as const;
export const ALERT_STATUSES = ALERT_STATUS.symbols;
export type AlertStatus = AvroValue<typeof ALERT_STATUS>;

export const ALERT_EVIDENCE_RECORD = defineRecord({
  file: 'alert-evidence',
  schema: {
    type: 'record',
    name: 'AlertEvidence',
    namespace: 'dev.foreshadow',
    doc: 'An Alertmanager alert received on POST /alerts (topic alerts, key = host): risk evidence, and for alerts matched as failures also a host.failures record.',
    fields: [
      { name: 'alertId', type: 'string', doc: 'Alertmanager fingerprint (or a hash of the labels)' },
      { name: 'alertname', type: 'string', default: '' },
      { name: 'status', type: ALERT_STATUS },
      { name: 'host', type: 'string' },
      { name: 'resourceId', type: 'string', default: '' },
      { name: 'region', type: 'string', default: '' },
      { name: 'severity', type: 'string', default: '' },
      {
        name: 'failure',
        type: 'boolean',
        default: false,
        doc: 'matched the failure matchers (a firing one became a host.failures record)',
      },
      { name: 'summary', type: 'string', default: '' },
      { name: 'labels', type: { type: 'map', values: 'string' }, default: {} },
      { name: 'startsAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'endsAt', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }], default: null },
      { name: 'receiver', type: 'string', default: '' },
      { name: 'generatorURL', type: 'string', default: '' },
      { name: 'receivedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ],
  },
  checks: (clock) =>
    fields({
      alertId: id(),
      host: id(),
      status: oneOf(ALERT_STATUSES),
      startsAt: epochMs(clock),
      endsAt: nullable(epochMs(clock)),
      receivedAt: epochMs(clock),
    }),
});

export type AlertEvidence = RecordValue<typeof ALERT_EVIDENCE_RECORD>;
