/**
 * POST /alerts and GET /alerts (api/alerts.ts, api/alert-mapping.ts) through the real fastify
 * server with in-memory publishers: Alertmanager v4 payloads mapped to host.failures and alert
 * evidence, resolved alerts, unattributed alerts, invalid payloads (400 with reasons), tokens,
 * body limit, audit. The real Prometheus + Alertmanager path is test/api/alertmanager.it.test.ts.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertTime, matches, parseMatchers } from '../../api/alert-mapping.js';
import { AlertView, alertsExtension, loadAlertSettings, MemoryAlertPublisher } from '../../api/alerts.js';
import { hashToken, parseTokens } from '../../api/auth.js';
import { MemoryPublisher } from '../../api/publisher.js';
import { FleetReadModel } from '../../api/read-model.js';
import { buildApiServer } from '../../api/server.js';

const OPERATOR = 'alertmanager-token-123456';
const READER = 'read-token-1234567890';
const tokens = parseTokens(`alertmanager:operate:${hashToken(OPERATOR)},grafana:read:${hashToken(READER)}`);
const NOW = Date.UTC(2026, 11, 1, 12);

let app: FastifyInstance;
let audit: MemoryPublisher;
let alerts: MemoryAlertPublisher;
let view: AlertView;

function alert(over: Record<string, unknown> = {}, labels: Record<string, string> = {}) {
  return {
    status: 'firing',
    labels: { alertname: 'RedisDown', severity: 'critical', host: 'h1', ...labels },
    annotations: { summary: 'redis on h1 is down' },
    startsAt: '2026-12-01T11:59:30.123456789Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus/graph',
    fingerprint: 'f00dfeed',
    ...over,
  };
}

function hook(alertList: unknown[], over: Record<string, unknown> = {}) {
  return {
    version: '4',
    groupKey: '{}:{alertname="RedisDown"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'foreshadow',
    groupLabels: { alertname: 'RedisDown' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager',
    alerts: alertList,
    ...over,
  };
}

const post = (body: unknown, token = OPERATOR) =>
  app.inject({
    method: 'POST',
    url: '/alerts',
    headers: { authorization: `Bearer ${token}` },
    payload: body as object,
  });

beforeEach(async () => {
  audit = new MemoryPublisher();
  alerts = new MemoryAlertPublisher();
  view = new AlertView();
  const model = new FleetReadModel();
  app = await buildApiServer({
    readModel: model,
    publisher: audit,
    tokens,
    now: () => NOW,
    extensions: [
      alertsExtension({
        publisher: alerts,
        view,
        settings: { ...loadAlertSettings({}), bodyLimit: 4_096 },
        lookup: (id) => (id === 'redis-orders' ? { host: 'h7', region: 'eu-west-1' } : undefined),
        now: () => NOW,
      }),
    ],
  });
});

afterEach(async () => {
  await app.close();
});

describe('POST /alerts', () => {
  it('turns a firing critical alert with a host label into host.failures and evidence, audited', async () => {
    const res = await post(hook([alert()]));
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({ received: 1, failures: 1, evidence: 1, ignored: [] });
    expect(alerts.failures).toEqual([
      {
        host: 'h1',
        region: '',
        timestamp: Date.UTC(2026, 11, 1, 11, 59, 30, 123),
        kind: 'OTHER',
        source: 'alertmanager:RedisDown',
        detail: 'redis on h1 is down',
        resourceId: '',
      },
    ]);
    expect(alerts.evidence[0]).toMatchObject({
      alertId: 'f00dfeed',
      status: 'FIRING',
      host: 'h1',
      failure: true,
      severity: 'critical',
      endsAt: null,
      receivedAt: NOW,
    });
    expect(audit.audits).toEqual([
      expect.objectContaining({ principal: 'alertmanager', method: 'POST', route: '/alerts', status: 202 }),
    ]);
  });

  it("names a resource's host from the deployments table, so only that resource fails over", async () => {
    const res = await post(
      hook([alert({}, { host: '', resource: 'redis-orders', failure_kind: 'crash', region: '' })]),
    );
    expect(res.statusCode).toBe(202);
    expect(alerts.failures[0]).toMatchObject({
      host: 'h7',
      region: 'eu-west-1',
      resourceId: 'redis-orders',
      kind: 'CRASH',
    });
  });

  it('keeps non-failure and resolved alerts as evidence only', async () => {
    const res = await post(
      hook([
        alert({}, { severity: 'warning', alertname: 'RedisMemoryHigh' }),
        alert({ status: 'resolved', endsAt: '2026-12-01T12:00:00Z' }),
      ]),
    );
    expect(res.json()).toEqual({ received: 2, failures: 0, evidence: 2, ignored: [] });
    expect(alerts.failures).toEqual([]);
    expect(alerts.evidence.map((e) => [e.alertname, e.status, e.failure, e.endsAt])).toEqual([
      ['RedisMemoryHigh', 'FIRING', false, null],
      ['RedisDown', 'RESOLVED', true, Date.UTC(2026, 11, 1, 12)],
    ]);
  });

  it('answers which alerts it could not attribute, and why', async () => {
    const res = await post(hook([alert({}, { host: '' }), alert({}, { host: '', resource: 'unknown-db' }), alert()]));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ received: 3, failures: 1, evidence: 1 });
    expect(res.json().ignored).toEqual([
      { index: 0, alertname: 'RedisDown', reason: 'no host or resource label' },
      {
        index: 1,
        alertname: 'RedisDown',
        reason: 'resource unknown-db is not in the deployments table and the alert has no host label',
      },
    ]);
  });

  it('refuses invalid payloads with 400 and the reasons, publishing nothing', async () => {
    for (const [body, where] of [
      [hook([alert()], { version: '3' }), 'body.version'],
      [hook([]), 'body.alerts'],
      [hook([alert({ status: 'smouldering' })]), 'body.alerts.0.status'],
      [hook([alert({ labels: 'h1' })]), 'body.alerts.0.labels'],
      [{ alerts: 'none' }, 'body.alerts'],
    ] as const) {
      const res = await post(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error).toBe('VALIDATION_FAILED');
      expect(res.json().issues.map((i: { path: string }) => i.path)).toContain(where);
    }
    const notJson = await app.inject({
      method: 'POST',
      url: '/alerts',
      headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
      payload: '{"version":',
    });
    expect(notJson.statusCode).toBe(400);
    expect(alerts.failures).toEqual([]);
    expect(alerts.evidence).toEqual([]);
  });

  it('needs an operate token, and limits the body', async () => {
    expect((await app.inject({ method: 'POST', url: '/alerts', payload: hook([alert()]) })).statusCode).toBe(401);
    expect((await post(hook([alert()]), READER)).statusCode).toBe(403);
    const big = hook(Array.from({ length: 40 }, (_, i) => alert({ fingerprint: `f${i}` })));
    expect((await post(big)).statusCode).toBe(413);
    expect(alerts.failures).toEqual([]);
  });
});

describe('GET /alerts', () => {
  it('lists the evidence the view holds, newest first, filtered', async () => {
    view.add({ ...baseEvidence, alertId: 'a', receivedAt: NOW - 10 });
    view.add({ ...baseEvidence, alertId: 'b', receivedAt: NOW, status: 'RESOLVED' });
    view.add({ ...baseEvidence, alertId: 'c', receivedAt: NOW - 5, host: 'h2' });
    const get = (q: string) =>
      app.inject({ method: 'GET', url: `/alerts${q}`, headers: { authorization: `Bearer ${READER}` } });
    expect((await get('')).json().alerts.map((a: { alertId: string }) => a.alertId)).toEqual(['b', 'c', 'a']);
    expect((await get('?host=h1&status=FIRING')).json().alerts.map((a: { alertId: string }) => a.alertId)).toEqual([
      'a',
    ]);
    expect((await get('?limit=0')).statusCode).toBe(400);
  });
});

const baseEvidence = {
  alertId: 'x',
  alertname: 'RedisDown',
  status: 'FIRING' as const,
  host: 'h1',
  resourceId: '',
  region: '',
  severity: 'critical',
  failure: true,
  summary: '',
  labels: {},
  startsAt: NOW - 60_000,
  endsAt: null,
  receiver: 'foreshadow',
  generatorURL: '',
  receivedAt: NOW,
};

describe('alert mapping', () => {
  it('parses matchers (=, !=, =~ anchored) and refuses bad ones, naming the setting', () => {
    const m = parseMatchers('severity=~critical|page, team!=test');
    expect(matches(m, { severity: 'page', team: 'db' })).toBe(true);
    expect(matches(m, { severity: 'critical-ish', team: 'db' })).toBe(false);
    expect(matches(m, { severity: 'critical', team: 'test' })).toBe(false);
    expect(() => parseMatchers('severity')).toThrow(/ALERTS_FAILURE_MATCHERS/);
    expect(() => parseMatchers('severity=~(')).toThrow(/bad regex/);
    expect(() => loadAlertSettings({ ALERTS_HOST_LABEL: 'bad label' })).toThrow(/ALERTS_HOST_LABEL/);
  });

  it("reads Alertmanager's times (nanoseconds, the zero time)", () => {
    expect(alertTime('2026-12-01T11:59:30.123456789Z')).toBe(Date.UTC(2026, 11, 1, 11, 59, 30, 123));
    expect(alertTime('2026-12-01T12:59:30+01:00')).toBe(Date.UTC(2026, 11, 1, 11, 59, 30));
    expect(alertTime('0001-01-01T00:00:00Z')).toBeNull();
    expect(alertTime('yesterday')).toBeNaN();
  });
});
