/**
 * The dashboard as an API extension: a static page and ES module (public: they hold no data), and
 * the data routes behind the same bearer tokens as the rest of the API (`read`). Live updates are
 * Server-Sent Events: one `snapshot` event whenever the read model or the dashboard state changed
 * since the last push, checked every `pushIntervalMs`. The page reads the stream with fetch() rather
 * than EventSource because EventSource cannot send an Authorization header.
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DagDocument } from '../../streams/processors/dependency-map/dag.js';
import { renderDagSvg } from '../../streams/processors/dependency-map/svg.js';
import type { RouteDoc } from '../openapi.js';
import type { FleetReadModel } from '../read-model.js';
import type { ApiExtension } from '../server.js';
import type { CapacitySummary, DashboardState, HostSeries } from './dashboard-feed.js';

const here = dirname(fileURLToPath(import.meta.url));
const STATIC: Record<string, { file: string; type: string }> = {
  '/dashboard': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

export interface DashboardOptions {
  model: FleetReadModel;
  state: DashboardState;
  /** A line shown at the top of the page (e.g. the demo's time acceleration). */
  banner?: () => string;
  pushIntervalMs?: number;
  now?: () => number;
}

export interface DashboardSnapshot {
  generatedAt: number;
  banner: string;
  fleet: ReturnType<FleetReadModel['fleet']>;
  /** Hosts reporting metrics that the inventory does not list. */
  unknownHosts: ReturnType<FleetReadModel['unknownHosts']>;
  counts: ReturnType<FleetReadModel['counts']>;
  shadows: ReturnType<FleetReadModel['shadowList']>;
  regions: (ReturnType<FleetReadModel['regions']>[number] & { capacity: CapacitySummary | null })[];
  events: ReturnType<FleetReadModel['eventList']>;
  /** The safety controls in force: pause, maintenance windows, region failovers awaiting approval. */
  control: ReturnType<FleetReadModel['control']>;
  focus: HostSeries | null;
}

const hostParams = z.object({ id: z.string().min(1).max(200) });
const liveQuery = z.object({ host: z.string().max(200).optional() });

export const DASHBOARD_ROUTES: readonly RouteDoc[] = [
  { method: 'GET', url: '/dashboard', summary: 'Dashboard page', tag: 'dashboard', role: null },
  { method: 'GET', url: '/dashboard/app.js', summary: 'Dashboard script', tag: 'dashboard', role: null },
  { method: 'GET', url: '/dashboard/style.css', summary: 'Dashboard style sheet', tag: 'dashboard', role: null },
  {
    method: 'GET',
    url: '/dashboard/snapshot',
    summary: 'Everything the dashboard shows, once',
    tag: 'dashboard',
    role: 'read',
    query: liveQuery,
  },
  {
    method: 'GET',
    url: '/dashboard/live',
    summary: 'Server-Sent Events: a snapshot on every change',
    tag: 'dashboard',
    role: 'read',
    query: liveQuery,
  },
  {
    method: 'GET',
    url: '/dashboard/hosts/:id/series',
    summary: "A host's metrics and risk over time with its baseline band",
    tag: 'dashboard',
    role: 'read',
    params: hostParams,
    notFound: true,
  },
  {
    method: 'GET',
    url: '/dashboard/regions/:id/dag.svg',
    summary: "A region's dependency DAG drawn with dagre",
    tag: 'dashboard',
    role: 'read',
    params: hostParams,
    notFound: true,
  },
];

export function dashboardSnapshot(o: DashboardOptions, focusHost?: string): DashboardSnapshot {
  const capacity = new Map(o.state.capacities().map((c) => [c.region, c]));
  const now = (o.now ?? Date.now)();
  return {
    generatedAt: now,
    banner: o.banner?.() ?? '',
    fleet: o.model.fleet(),
    unknownHosts: o.model.unknownHosts(),
    counts: o.model.counts(),
    shadows: o.model.shadowList({}),
    regions: o.model.regions().map((r) => ({ ...r, capacity: capacity.get(r.region) ?? null })),
    events: o.model.eventList({ limit: 80 }),
    control: o.model.control(now),
    focus: focusHost ? (o.state.hostSeriesOf(focusHost) ?? null) : null,
  };
}

/** A cheap change marker: the read model's per-table freshness plus the dashboard state version. */
function changeMark(o: DashboardOptions): string {
  return `${JSON.stringify(o.model.freshness())}|${o.state.version}`;
}

export function dashboardExtension(o: DashboardOptions): ApiExtension {
  const pushEvery = o.pushIntervalMs ?? 1_000;
  const streams = new Set<ServerResponse>();
  const files = new Map(
    Object.entries(STATIC).map(([url, f]) => [url, { body: readFileSync(join(here, f.file)), type: f.type }]),
  );
  return {
    routes: DASHBOARD_ROUTES,
    register(app: FastifyInstance) {
      for (const [url, f] of files) {
        app.get(url, async (_req, reply) => reply.type(f.type).header('cache-control', 'no-cache').send(f.body));
      }
      app.get('/dashboard/snapshot', async (req) => {
        const q = liveQuery.parse(req.query ?? {});
        return dashboardSnapshot(o, q.host);
      });
      app.get('/dashboard/hosts/:id/series', async (req, reply) => {
        const { id } = hostParams.parse(req.params);
        const s = o.state.hostSeriesOf(id);
        if (!s) return reply.code(404).send({ error: 'NOT_FOUND', message: `no series for host ${id}` });
        return s;
      });
      app.get('/dashboard/regions/:id/dag.svg', async (req, reply) => {
        const { id } = hostParams.parse(req.params);
        const dag = o.model.dag(id);
        if (!dag || typeof dag.dag !== 'object' || dag.dag === null) {
          return reply.code(404).send({ error: 'NOT_FOUND', message: `no dependency DAG for region ${id}` });
        }
        return reply
          .type('image/svg+xml; charset=utf-8')
          .send(renderDagSvg(dag.dag as DagDocument, { title: `${id} dependency DAG v${dag.version}` }));
      });
      app.get('/dashboard/live', (req, reply) => {
        const q = liveQuery.parse(req.query ?? {});
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          // Proxies (nginx) would otherwise buffer the stream and the page would look frozen.
          'x-accel-buffering': 'no',
        });
        streams.add(res);
        let last = '';
        let idle = 0;
        const push = (): void => {
          const mark = changeMark(o);
          if (mark === last) {
            // A comment every ~15 s keeps idle connections from being cut by intermediaries.
            if (++idle * pushEvery >= 15_000) {
              idle = 0;
              res.write(': keep-alive\n\n');
            }
            return;
          }
          last = mark;
          idle = 0;
          res.write(`event: snapshot\ndata: ${JSON.stringify(dashboardSnapshot(o, q.host))}\n\n`);
        };
        push();
        const timer = setInterval(push, pushEvery);
        req.raw.on('close', () => {
          clearInterval(timer);
          streams.delete(res);
        });
      });
      // Open streams never end on their own: end them first or closing the server would wait forever.
      app.addHook('preClose', async () => {
        for (const res of streams) res.end();
        streams.clear();
      });
    },
  };
}
