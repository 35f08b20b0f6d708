/** ApiAudit, the value of audit.api (key = principal): an audit record of one operating HTTP call. Never holds secrets. */
import { defineRecord, type RecordValue } from '../record.js';

export const API_AUDIT_RECORD = defineRecord({
  file: 'api-audit',
  schema: {
    type: 'record',
    name: 'ApiAudit',
    namespace: 'dev.foreshadow',
    doc: 'An audit record of every operating HTTP call (topic audit.api, key = principal). Never holds secrets.',
    fields: [
      { name: 'auditId', type: 'string' },
      { name: 'principal', type: 'string' },
      { name: 'role', type: 'string' },
      { name: 'method', type: 'string' },
      { name: 'route', type: 'string' },
      { name: 'status', type: 'int' },
      { name: 'remoteAddress', type: 'string', default: '' },
      { name: 'requestId', type: 'string', default: '' },
      { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ],
  },
});

export type ApiAudit = RecordValue<typeof API_AUDIT_RECORD>;
