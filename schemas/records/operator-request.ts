/**
 * OperatorRequest, the value of operator.requests (key = resourceId, host or region): an operating
 * call made through the HTTP API, for the shadow manager and the failover orchestrator to act on.
 * The safety controls travel here too (pause, resume, maintenance windows, approval of a region
 * failover), so their state lives in the processors' stores, never in the API's memory.
 */
import { z } from 'zod';
import { count, epochMs, fields, id, oneOf } from '../../streams/validation/checks.js';
import type { AvroValue } from '../avro-schema.js';
import { defineRecord, type RecordValue } from '../record.js';

const OPERATOR_REQUEST_TYPE = {
  type: 'enum',
  name: 'OperatorRequestType',
  symbols: [
    'CREATE_SHADOW',
    'PROMOTE_SHADOW',
    'RETIRE_SHADOW',
    'REGION_FAILOVER',
    'PAUSE',
    'RESUME',
    'SET_MAINTENANCE',
    'CANCEL_MAINTENANCE',
    'APPROVE_REGION_FAILOVER',
  ],
} as const;
export const OPERATOR_REQUEST_TYPES = OPERATOR_REQUEST_TYPE.symbols;
export type OperatorRequestType = AvroValue<typeof OPERATOR_REQUEST_TYPE>;

/** What a safety control covers: the whole fleet (pause), one host or one region (maintenance). */
export const CONTROL_SCOPE = {
  type: 'enum',
  name: 'ControlScope',
  symbols: ['NONE', 'FLEET', 'HOST', 'REGION'],
} as const;
export const CONTROL_SCOPES = CONTROL_SCOPE.symbols;
export type ControlScope = AvroValue<typeof CONTROL_SCOPE>;

/** The longest maintenance window accepted: longer ones are mistakes more often than plans. */
export const MAX_MAINTENANCE_WINDOW_MS = 30 * 86_400_000;

export const OPERATOR_REQUEST_RECORD = defineRecord({
  file: 'operator-request',
  schema: {
    type: 'record',
    name: 'OperatorRequest',
    namespace: 'dev.foreshadow',
    doc: 'An operating call made through the HTTP API (topic operator.requests, key = resourceId, host or region). The shadow manager and failover orchestrator act on it; the API keeps no private state. PAUSE and RESUME are written to every partition (same requestId) so every task of the region-partitioned orchestrator sees them.',
    fields: [
      { name: 'requestId', type: 'string' },
      { name: 'type', type: OPERATOR_REQUEST_TYPE },
      { name: 'subject', type: 'string' },
      { name: 'targetHost', type: 'string', default: '' },
      { name: 'dryRun', type: 'boolean', default: false },
      { name: 'principal', type: 'string' },
      { name: 'requestedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'reason', type: 'string', default: '', doc: 'why (pause, maintenance)' },
      {
        name: 'scope',
        type: CONTROL_SCOPE,
        default: 'NONE',
        doc: 'what a control covers: FLEET (pause), HOST or REGION (maintenance; subject names it)',
      },
      { name: 'startsAt', type: 'long', default: 0, doc: 'SET_MAINTENANCE: window start, epoch ms' },
      { name: 'endsAt', type: 'long', default: 0, doc: 'SET_MAINTENANCE: window end (exclusive), epoch ms' },
      {
        name: 'windowId',
        type: 'string',
        default: '',
        doc: 'CANCEL_MAINTENANCE: the window to cancel (the requestId of its SET_MAINTENANCE)',
      },
    ],
  },
  checks: (clock) =>
    fields({
      requestId: id(),
      type: oneOf(OPERATOR_REQUEST_TYPES),
      subject: id(),
      requestedAt: epochMs(clock),
      scope: oneOf(CONTROL_SCOPES),
      startsAt: count(),
      endsAt: count(),
      windowId: z.string(),
    }).superRefine((r, ctx) => {
      if (r.type === 'SET_MAINTENANCE') {
        if (r.scope !== 'HOST' && r.scope !== 'REGION')
          ctx.addIssue({ code: 'custom', path: ['scope'], message: `is ${r.scope}, not HOST or REGION` });
        const start = r.startsAt ?? 0;
        const end = r.endsAt ?? 0;
        if (end <= start)
          ctx.addIssue({ code: 'custom', path: ['endsAt'], message: `is ${end}, not after startsAt ${start}` });
        else if (end - start > MAX_MAINTENANCE_WINDOW_MS)
          ctx.addIssue({ code: 'custom', path: ['endsAt'], message: `is more than 30 days after startsAt` });
      }
      if (r.type === 'CANCEL_MAINTENANCE') {
        if (!r.windowId) ctx.addIssue({ code: 'custom', path: ['windowId'], message: 'is empty' });
      }
    }),
});

export type OperatorRequest = RecordValue<typeof OPERATOR_REQUEST_RECORD>;
