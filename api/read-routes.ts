/** The read routes: answered from the read model, nothing published. */
import type { FastifyInstance } from 'fastify';
import { HttpError, parse } from './http-error.js';
import type { FleetReadModel } from './read-model.js';
import { eventsQuery, hostParams, maintenanceQuery, regionParams, riskQuery, shadowStatusQuery } from './schemas.js';

export function registerReadRoutes(app: FastifyInstance, model: FleetReadModel, now: () => number): void {
  app.get('/fleet', async () => ({ hosts: model.fleet(), counts: model.counts() }));
  app.get('/risk', async (req) => {
    const q = parse(riskQuery, req.query, 'query');
    return { hosts: model.risks(q.region, q.minPFail ?? 0) };
  });
  app.get('/hosts/:id/risk', async (req) => {
    const { id } = parse(hostParams, req.params, 'path');
    const r = model.hostRisk(id);
    if (!r) throw new HttpError(404, 'NOT_FOUND', `no risk known for host ${id}`);
    return r;
  });
  app.get('/shadow/status', async (req) => {
    const q = parse(shadowStatusQuery, req.query, 'query');
    const shadows = model.shadowList(q);
    return { shadows, shadowHours: model.shadowHours(shadows, now()) };
  });
  app.get('/regions', async () => ({ regions: model.regions() }));
  app.get('/regions/:id/blueprint', async (req) => {
    const { id } = parse(regionParams, req.params, 'path');
    const bp = model.blueprintWithLevels(id);
    if (!bp) throw new HttpError(404, 'NOT_FOUND', `no shadow blueprint for region ${id}`);
    return bp;
  });
  app.get('/regions/:id/dag', async (req) => {
    const { id } = parse(regionParams, req.params, 'path');
    const dag = model.dag(id);
    if (!dag) throw new HttpError(404, 'NOT_FOUND', `no dependency DAG for region ${id}`);
    return dag;
  });
  app.get('/inventory/unknown-hosts', async () => ({ hosts: model.unknownHosts() }));
  app.get('/failover/events', async (req) => {
    const q = parse(eventsQuery, req.query, 'query');
    return { events: model.eventList(q) };
  });
  app.get('/regions/:id/failover', async (req) => {
    const { id } = parse(regionParams, req.params, 'path');
    if (!model.knowsRegion(id)) throw new HttpError(404, 'NOT_FOUND', `unknown region ${id}`);
    return model.regionFailover(id) ?? { region: id, status: 'NONE' };
  });
  app.get('/control', async () => model.control(now()));
  app.get('/maintenance', async (req) => {
    const q = parse(maintenanceQuery, req.query, 'query');
    return { windows: model.maintenanceWindows(q, now()) };
  });
}
