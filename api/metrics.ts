/**
 * Prometheus metrics of the API, on a registry per server instance (so tests and several servers in
 * one process never collide): request counts and latencies by route, operating calls by type, and
 * read-model gauges computed at scrape time.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { FleetReadModel } from './read-model.js';

export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route'>;
  operations: Counter<'type' | 'dryRun'>;
}

export function createApiMetrics(
  model: FleetReadModel,
  withDefaults = false,
  now: () => number = Date.now,
  registry = new Registry(),
): ApiMetrics {
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: 'foreshadow_api_' });
  const requests = new Counter({
    name: 'foreshadow_api_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'foreshadow_api_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const operations = new Counter({
    name: 'foreshadow_api_operations_total',
    help: 'Operating calls accepted and published to operator.requests',
    labelNames: ['type', 'dryRun'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'foreshadow_api_read_model_shadows',
    help: 'Shadows in the read model by lifecycle state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [state, n] of Object.entries(model.counts().shadowsByState)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'foreshadow_api_read_model_hosts',
    help: 'Hosts in the read model',
    registers: [registry],
    collect() {
      this.set(model.counts().hosts);
    },
  });
  new Gauge({
    name: 'foreshadow_api_unknown_hosts',
    help: 'Hosts reporting metrics that the inventory (hosts table) does not list',
    registers: [registry],
    collect() {
      this.set(model.unknownHosts().length);
    },
  });
  // The safety controls as the processors hold them (control.state, region.failovers, shadow.state).
  new Gauge({
    name: 'foreshadow_api_paused',
    help: 'Whether automation is paused (1) or not (0)',
    registers: [registry],
    collect() {
      this.set(model.control(now()).paused ? 1 : 0);
    },
  });
  new Gauge({
    name: 'foreshadow_api_maintenance_windows',
    help: 'Maintenance windows in force or planned, by scope',
    labelNames: ['scope'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const windows = model.maintenanceWindows({}, now());
      for (const scope of ['HOST', 'REGION']) this.set({ scope }, windows.filter((w) => w.scope === scope).length);
    },
  });
  new Gauge({
    name: 'foreshadow_api_region_failovers_pending_approval',
    help: 'Region failovers waiting for an operator approval',
    registers: [registry],
    collect() {
      this.set(model.control(now()).pendingApprovals.length);
    },
  });
  new Gauge({
    name: 'foreshadow_api_advisory_shadows',
    help: 'Shadows that are recommendations of a manager in advise mode',
    registers: [registry],
    collect() {
      this.set(model.shadowList({}).filter((s) => s.advisory).length);
    },
  });
  return { registry, requests, duration, operations };
}
