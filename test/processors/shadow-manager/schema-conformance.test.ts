/**
 * Every record the shadow manager and the failover orchestrator write must encode with the topic's
 * Avro schema (what the registry serde does in production), and every input fixture must be a valid
 * record of its schema. Checked with avsc directly so no registry is needed.
 */
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { buildFailoverOrchestratorTopology } from '../../../streams/processors/failover-orchestrator/topology.js';
import { buildShadowManagerTopology, fleetTopic } from '../../../streams/processors/shadow-manager/topology.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';
import { jsonValueSerdes } from '../../../streams/topic-serdes.js';
import { blueprint, deployment, host, risk, SimulatedProvider, T0 } from './fixtures.js';

function schema(name: string): avro.Type {
  return avro.Type.forSchema(
    JSON.parse(readFileSync(new URL(`../../../schemas/${name}.avsc`, import.meta.url), 'utf8')) as avro.Schema,
  );
}

function expectValid(type: avro.Type, value: unknown, what: string): void {
  const problems: string[] = [];
  type.isValid(value, { errorHook: (path) => problems.push(path.join('.') || '(root)') });
  expect(problems, `${what}: invalid at ${problems.join(', ')}`).toEqual([]);
  // Round trip: what is written is what is read back.
  expect(type.fromBuffer(type.toBuffer(value))).toEqual(value);
}

describe('schema conformance', () => {
  it('inputs (fixtures) are valid records of their schemas', () => {
    expectValid(schema('host'), host('h1', 'a', 'r1'), 'host');
    expectValid(schema('deployment'), deployment('db-1', 'h1', 'CRITICAL'), 'deployment');
    expectValid(schema('host-risk'), risk('h1', 0.95, T0), 'risk');
    expectValid(schema('host-risk'), risk('h1', 0.1, T0), 'risk without forecast');
    expectValid(schema('shadow-blueprint'), blueprint('eu-1', [{ name: 'db', level: 0 }]), 'blueprint');
  });

  it('shadow manager outputs and provider results encode with their schemas', async () => {
    const d = new TopologyTestDriver(
      buildShadowManagerTopology({ serdes: jsonValueSerdes, manager: { heartbeatIntervalMs: 1_000 } }),
      {
        initialWallClockMs: T0,
      },
    );
    const provider = new SimulatedProvider();
    const fleet = (v: unknown) => d.pipeInput(fleetTopic(), 'fleet', v, T0);
    for (const h of [host('h1', 'a', 'r1'), host('h3', 'b', 'r1')])
      await fleet({ type: 'HOST', hostId: h.host, host: h });
    await fleet({ type: 'DEPLOYMENT', resourceId: 'db-1', deployment: deployment('db-1', 'h1', 'CRITICAL') });
    await fleet({ type: 'RISK', risk: risk('h3', 0.01, T0) });
    await fleet({ type: 'RISK', risk: risk('h1', 0.95, T0) });
    const results = [];
    for (const c of d.readOutput<string, Parameters<SimulatedProvider['handle']>[0]>('shadow.commands')) {
      expectValid(schema('shadow-command'), c.value, 'shadow command');
      const r = provider.handle(c.value, T0);
      results.push(r);
      await fleet({ type: 'RESULT', result: r });
    }
    // Heartbeat loss of both hosts exercises host.failures, failover events and failover commands.
    await d.advanceWallClockTime(10_000);
    for (const c of d.readOutput<string, unknown>('shadow.commands'))
      expectValid(schema('shadow-command'), c.value, 'failover command');
    for (const r of results) expectValid(schema('actuation-result'), r, 'actuation result');
    const states = d.readOutput<string, unknown>('shadow.state');
    const events = d.readOutput<string, unknown>('failover.events');
    const failures = d.readOutput<string, unknown>('host.failures');
    expect(states.length).toBeGreaterThan(0);
    expect(events.length).toBeGreaterThan(0);
    expect(failures.length).toBeGreaterThan(0);
    for (const s of states) expectValid(schema('shadow-state'), s.value, 'shadow state');
    for (const e of events) expectValid(schema('failover-event'), e.value, 'failover event');
    for (const f of failures) expectValid(schema('host-failure'), f.value, 'host failure');
    await d.close();
  });

  it('failover orchestrator outputs encode with their schemas', async () => {
    const d = new TopologyTestDriver(buildFailoverOrchestratorTopology({ serdes: jsonValueSerdes }), {
      initialWallClockMs: T0,
    });
    await d.pipeInput(
      'region.blueprints',
      'eu-1',
      blueprint('eu-1', [
        { name: 'db', level: 0 },
        { name: 'api', level: 1, dependsOn: ['db'] },
      ]),
      T0,
    );
    const request = {
      requestId: 'r1',
      type: 'REGION_FAILOVER',
      subject: 'eu-1',
      targetHost: '',
      dryRun: true,
      principal: 'p',
      requestedAt: T0,
      reason: '',
      scope: 'NONE',
      startsAt: 0,
      endsAt: 0,
      windowId: '',
    };
    expectValid(schema('operator-request'), request, 'operator request');
    await d.pipeInput('operator.requests', 'eu-1', request, T0);
    const provider = new SimulatedProvider();
    let pending = d.readOutput<string, Parameters<SimulatedProvider['handle']>[0]>('failover.commands');
    while (pending.length > 0) {
      for (const c of pending) {
        expectValid(schema('failover-command'), c.value, 'failover command');
        await d.pipeInput('actuation.results', 'eu-1', provider.handle(c.value, T0 + 100), T0 + 100);
      }
      pending = d.readOutput('failover.commands');
    }
    const events = d.readOutput<string, unknown>('failover.events');
    // Started, capacity launched + ready, 2 × (service starting + ready), networking, traffic,
    // replication, completed.
    expect(events.length).toBe(11);
    for (const e of events) expectValid(schema('failover-event'), e.value, 'region event');
    await d.close();
  });
});
