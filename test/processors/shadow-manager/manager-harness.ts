/**
 * The shadow manager's decision topology in the TopologyTestDriver, fed the way its routers feed
 * it (each input wrapped onto the fleet topic), with every output collected: for the safety-control
 * scenarios. Wall clock and record time move together (`advance`).
 */
import type { ActuationResult } from '../../../schemas/records/actuation-result.js';
import type { ControlState } from '../../../schemas/records/control-state.js';
import type { Deployment } from '../../../schemas/records/deployment.js';
import type { FailoverEvent } from '../../../schemas/records/failover-event.js';
import type { Host } from '../../../schemas/records/host.js';
import type { HostFailure } from '../../../schemas/records/host-failure.js';
import type { OperatorRequest } from '../../../schemas/records/operator-request.js';
import type { ShadowCommand } from '../../../schemas/records/shadow-command.js';
import type { ShadowState } from '../../../schemas/records/shadow-state.js';
import type { ShadowManagerOptions } from '../../../streams/processors/shadow-manager/options.js';
import {
  buildShadowManagerTopology,
  FLEET_WRAPPERS,
  type FleetInputTopic,
  fleetTopic,
} from '../../../streams/processors/shadow-manager/topology.js';
import { TopologyTestDriver } from '../../../streams/testing/topology-test-driver.js';
import { jsonValueSerdes } from '../../../streams/topic-serdes.js';
import { type SimulatedProvider, T0 } from './fixtures.js';

const INPUTS: Record<string, FleetInputTopic> = {
  'health.risk': 'risk',
  hosts: 'hosts',
  deployments: 'deployments',
  'host.failures': 'failures',
  'actuation.results': 'results',
  'operator.requests': 'requests',
};

export function operatorRequest(
  over: Partial<OperatorRequest> & Pick<OperatorRequest, 'type' | 'requestId' | 'subject'>,
): OperatorRequest {
  return {
    targetHost: '',
    dryRun: false,
    principal: 'alice',
    requestedAt: T0,
    reason: '',
    scope: 'NONE',
    startsAt: 0,
    endsAt: 0,
    windowId: '',
    ...over,
  };
}

export function hostFailure(host: string, at: number, region = 'eu-1'): HostFailure {
  return { host, region, timestamp: at, kind: 'CRASH', source: 'monitoring', detail: '', resourceId: '' };
}

export class ManagerHarness {
  readonly driver: TopologyTestDriver;
  readonly states = new Map<string, ShadowState>();
  readonly events: FailoverEvent[] = [];
  readonly commands: ShadowCommand[] = [];
  readonly failures: HostFailure[] = [];
  readonly controls = new Map<string, ControlState | null>();
  now = T0;

  constructor(options: Partial<ShadowManagerOptions> = {}) {
    // Heartbeat detection is off unless a test asks for it: these tests jump the clock.
    const manager = { heartbeatIntervalMs: 3_600_000, ...options };
    this.driver = new TopologyTestDriver(buildShadowManagerTopology({ serdes: jsonValueSerdes, manager }), {
      initialWallClockMs: T0,
    });
  }

  private drain(): ShadowCommand[] {
    for (const s of this.driver.readOutput<string, ShadowState>('shadow.state')) this.states.set(s.key, s.value);
    for (const e of this.driver.readOutput<string, FailoverEvent>('failover.events')) this.events.push(e.value);
    for (const c of this.driver.readOutput<string, ControlState | null>('control.state'))
      this.controls.set(c.key, c.value);
    for (const f of this.driver.readOutput<string, HostFailure>('host.failures')) this.failures.push(f.value);
    const cmds = this.driver.readOutput<string, ShadowCommand>('shadow.commands').map((c) => c.value);
    this.commands.push(...cmds);
    return cmds;
  }

  async pipe<V>(topic: string, key: string, value: V | null): Promise<ShadowCommand[]> {
    const input = INPUTS[topic];
    if (!input) throw new Error(`not an input topic: ${topic}`);
    const envelope = FLEET_WRAPPERS[input](key, value);
    if (envelope) await this.driver.pipeInput(fleetTopic(), 'fleet', envelope, this.now);
    return this.drain();
  }

  request(r: OperatorRequest): Promise<ShadowCommand[]> {
    return this.pipe('operator.requests', r.subject, { ...r, requestedAt: this.now });
  }

  async fleet(hosts: Host[], deployments: Deployment[]): Promise<void> {
    for (const h of hosts) await this.pipe('hosts', h.host, h);
    for (const d of deployments) await this.pipe('deployments', d.resourceId, d);
  }

  result(r: ActuationResult): Promise<ShadowCommand[]> {
    return this.pipe('actuation.results', r.subject, r);
  }

  /** Lets the provider answer every command (and the commands those answers cause). */
  async settle(provider: SimulatedProvider, first: ShadowCommand[]): Promise<void> {
    let pending = first;
    for (let round = 0; round < 20 && pending.length > 0; round++) {
      const next: ShadowCommand[] = [];
      for (const c of pending) next.push(...(await this.result(provider.handle(c, this.now))));
      pending = next;
    }
  }

  async advance(ms: number): Promise<ShadowCommand[]> {
    this.now += ms;
    await this.driver.advanceWallClockTime(ms);
    return this.drain();
  }

  state(id: string): ShadowState {
    const s = this.states.get(id);
    if (!s) throw new Error(`no state for ${id}`);
    return s;
  }

  steps(): string[] {
    return this.events.map((e) => `${e.step}${e.resourceId ? `:${e.resourceId}` : ''}`);
  }
}
