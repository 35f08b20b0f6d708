/**
 * Alertmanager's webhook payload (version 4) and what Foreshadow makes of each alert, as pure
 * functions: an alert names its subject by a host label and/or a resource label (a resource's host
 * is looked up in the deployments table); every alert, firing or resolved, becomes risk evidence
 * (topic `alerts`); a FIRING alert that matches the failure matchers (default `severity=critical`)
 * also becomes a host.failures record (resourceId set when it names a resource, so only that
 * resource fails over). A resolved failure alert is evidence only: a failed host comes back through
 * an explicit UP record on `hosts`, never because an alert stopped firing.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AlertEvidence } from '../schemas/records/alert-evidence.js';
import { FAILURE_KINDS, type FailureKind, type HostFailure } from '../schemas/records/host-failure.js';
import { ConfigError } from '../streams/runtime/errors.js';

const labels = z.record(z.string().max(200), z.string().max(2_000));

/** Alertmanager time: RFC 3339, up to nanoseconds; the zero time (0001-01-01) means "not set". */
const amTime = z.string().max(64);

export const alertmanagerAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: labels.default({}),
  startsAt: amTime,
  endsAt: amTime.default(''),
  generatorURL: z.string().max(2_000).default(''),
  fingerprint: z.string().max(64).default(''),
});
export type AlertmanagerAlert = z.infer<typeof alertmanagerAlert>;

export const alertmanagerWebhook = z.object({
  version: z.literal('4'),
  groupKey: z.string().max(2_000),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().max(200),
  groupLabels: labels.default({}),
  commonLabels: labels.default({}),
  commonAnnotations: labels.default({}),
  externalURL: z.string().max(2_000).default(''),
  alerts: z.array(alertmanagerAlert).min(1).max(1_000),
});
export type AlertmanagerWebhook = z.infer<typeof alertmanagerWebhook>;

/** One label condition: `name=value`, `name!=value`, `name=~regex` (anchored, as in Alertmanager). */
export interface LabelMatcher {
  name: string;
  op: '=' | '!=' | '=~';
  value: string;
  regex?: RegExp;
}

export interface AlertMappingOptions {
  hostLabel: string;
  resourceLabel: string;
  regionLabel: string;
  /** All must match for a firing alert to count as a failure. */
  failureMatchers: LabelMatcher[];
}

/** `severity=critical,team=~db|cache`: comma-separated, all must hold; a bad one is a ConfigError. */
export function parseMatchers(spec: string, what = 'ALERTS_FAILURE_MATCHERS'): LabelMatcher[] {
  const out: LabelMatcher[] = [];
  for (const raw of spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!=|=)\s*(.*)$/.exec(raw);
    if (!m) throw new ConfigError(`${what}: "${raw}" is not label=value, label!=value or label=~regex`);
    const [, name, op, value] = m as unknown as [string, string, LabelMatcher['op'], string];
    if (op === '=~') {
      try {
        out.push({ name, op, value, regex: new RegExp(`^(?:${value})$`) });
      } catch (err: unknown) {
        throw new ConfigError(`${what}: bad regex in "${raw}": ${err instanceof Error ? err.message : String(err)}`);
      }
    } else out.push({ name, op, value });
  }
  if (out.length === 0) throw new ConfigError(`${what} must hold at least one matcher`);
  return out;
}

export function matches(matchers: readonly LabelMatcher[], l: Record<string, string>): boolean {
  return matchers.every((m) => {
    const v = l[m.name] ?? '';
    if (m.op === '=') return v === m.value;
    if (m.op === '!=') return v !== m.value;
    return m.regex?.test(v) ?? false;
  });
}

/** Epoch ms of an Alertmanager time, null for the zero time or an empty one, NaN when unreadable. */
export function alertTime(s: string): number | null {
  if (s === '' || s.startsWith('0001-01-01')) return null;
  // Date.parse reads at most milliseconds: drop the extra fraction digits Alertmanager sends.
  const t = Date.parse(s.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isFinite(t) ? t : Number.NaN;
}

function failureKind(l: Record<string, string>): FailureKind {
  const k = (l.failure_kind ?? '').toUpperCase();
  return (FAILURE_KINDS as readonly string[]).includes(k) ? (k as FailureKind) : 'OTHER';
}

/** Where a resource runs, from the deployments table. */
export type ResourceLookup = (resourceId: string) => { host: string; region: string } | undefined;

export type AlertOutcome =
  | { kind: 'mapped'; evidence: AlertEvidence; failure: HostFailure | undefined }
  | { kind: 'ignored'; reason: string };

export function mapAlert(
  a: AlertmanagerAlert,
  hook: Pick<AlertmanagerWebhook, 'receiver'>,
  o: AlertMappingOptions,
  lookup: ResourceLookup,
  now: number,
): AlertOutcome {
  const alertname = a.labels.alertname ?? '';
  const resourceId = a.labels[o.resourceLabel] ?? '';
  const placed = resourceId ? lookup(resourceId) : undefined;
  const host = a.labels[o.hostLabel] || placed?.host || '';
  if (!host) {
    return {
      kind: 'ignored',
      reason: resourceId
        ? `resource ${resourceId} is not in the deployments table and the alert has no ${o.hostLabel} label`
        : `no ${o.hostLabel} or ${o.resourceLabel} label`,
    };
  }
  const startsAt = alertTime(a.startsAt);
  if (startsAt === null || Number.isNaN(startsAt))
    return { kind: 'ignored', reason: `startsAt "${a.startsAt}" is not a time` };
  const endsAt = alertTime(a.endsAt);
  const region = a.labels[o.regionLabel] || placed?.region || '';
  const failure = matches(o.failureMatchers, a.labels);
  const summary = (a.annotations.summary ?? a.annotations.description ?? '').slice(0, 500);
  const evidence: AlertEvidence = {
    alertId:
      a.fingerprint ||
      createHash('sha256')
        .update(JSON.stringify(Object.entries(a.labels).sort()))
        .digest('hex')
        .slice(0, 16),
    alertname,
    status: a.status === 'firing' ? 'FIRING' : 'RESOLVED',
    host,
    resourceId,
    region,
    severity: a.labels.severity ?? '',
    failure,
    summary,
    labels: a.labels,
    startsAt,
    endsAt: endsAt === null || Number.isNaN(endsAt) ? null : endsAt,
    receiver: hook.receiver,
    generatorURL: a.generatorURL,
    receivedAt: now,
  };
  return {
    kind: 'mapped',
    evidence,
    failure:
      failure && a.status === 'firing'
        ? {
            host,
            region,
            // The alert's own start names the failure, so Alertmanager's repeats of it (every
            // repeat_interval) name the same failover and are acted on once.
            timestamp: startsAt,
            kind: failureKind(a.labels),
            source: `alertmanager:${alertname || 'alert'}`,
            detail: summary || `alert ${alertname} firing`,
            resourceId,
          }
        : undefined,
  };
}
