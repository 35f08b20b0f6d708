/**
 * What every part of the shadow manager shares: its stores (the whole fleet's view, in one task),
 * its options, and its outputs — the only way a part emits commands, shadow states and failover
 * events, so a saved shadow and its published state never drift apart. In advise mode every
 * command leaves here marked advisory, whichever part decided it: one place guarantees that
 * nothing an advising manager emits is carried out.
 */
import type { ControlState } from '../../../schemas/records/control-state.js';
import type { Deployment } from '../../../schemas/records/deployment.js';
import type { FailoverEvent } from '../../../schemas/records/failover-event.js';
import type { HostFailure } from '../../../schemas/records/host-failure.js';
import type { ShadowCommand } from '../../../schemas/records/shadow-command.js';
import type { ShadowState } from '../../../schemas/records/shadow-state.js';
import {
  type ControlBook,
  type ControlTarget,
  emptyControls,
  type Suppression,
  suppressionFor,
} from '../../controls/controls.js';
import type { ProcessorContext } from '../../runtime/processor.js';
import { StreamRecord } from '../../runtime/record.js';
import type { KeyValueStore } from '../../state/store.js';
import { DeploymentIndex } from './deployment-index.js';
import type { HostFailoverRecord, ResourceFailover } from './host-failover.js';
import { type Transition, toShadowState } from './lifecycle.js';
import {
  CONTROLS_STORE,
  DEPLOYMENTS_STORE,
  EPOCHS_STORE,
  HOST_FAILOVERS_STORE,
  HOSTS_STORE,
  META_STORE,
  REQUESTS_STORE,
  RESOURCE_FAILOVERS_STORE,
  SHADOWS_STORE,
} from './names.js';
import type { ShadowManagerOptions } from './options.js';
import type { HostView, MetaRecord, ShadowRecord } from './types.js';

/** Child (sink) names the processor forwards to. */
export const SHADOW_COMMANDS_CHILD = 'shadow-commands-out';
export const SHADOW_STATE_CHILD = 'shadow-state-out';
export const FAILOVER_EVENTS_CHILD = 'failover-events-out';
export const HOST_FAILURES_CHILD = 'host-failures-out';
export const CONTROL_STATE_CHILD = 'control-state-out';

/** What the manager forwards; null is a tombstone (a removed resource's shadow, an ended window). */
export type ShadowOutput = ShadowCommand | ShadowState | FailoverEvent | HostFailure | ControlState | null;

const CONTROL_BOOK_KEY = 'book';

/** A store the parts may read but not write. */
export type ReadableStore<K, V> = Pick<KeyValueStore<K, V>, 'name' | 'get' | 'range' | 'all'>;

export function emptyView(hostId: string): HostView {
  return { hostId, host: null, risk: null, lastSeenAt: null, calmSince: null, failedAt: null, deployFailures: [] };
}

export async function collect<K, V>(it: AsyncIterableIterator<{ key: K; value: V }>): Promise<V[]> {
  const out: V[] = [];
  for await (const kv of it) out.push(kv.value);
  return out;
}

/** Deployments that hold capacity on their host (and whose resources a failover must move). */
export function consumesCapacity(d: Deployment): boolean {
  return d.outcome === 'SUCCEEDED' || d.outcome === 'PENDING';
}

export class FleetState {
  readonly shadows: KeyValueStore<string, ShadowRecord>;
  /** Read-only here: putHost and putDeployment/deleteDeployment keep the in-memory views in step. */
  readonly hosts: ReadableStore<string, HostView>;
  readonly deployments: ReadableStore<string, Deployment>;
  private readonly hostStore: KeyValueStore<string, HostView>;
  private readonly deploymentStore: KeyValueStore<string, Deployment>;
  readonly epochs: KeyValueStore<string, number>;
  readonly resourceFailovers: KeyValueStore<string, ResourceFailover>;
  readonly hostFailovers: KeyValueStore<string, HostFailoverRecord>;
  readonly requests: KeyValueStore<string, number>;
  readonly meta: KeyValueStore<string, MetaRecord>;
  readonly controls: KeyValueStore<string, ControlBook>;
  /** Set when a record may have changed what the queue can admit; the tick drains regardless. */
  queueDirty = true;
  private deploymentIndex: DeploymentIndex | null = null;
  /**
   * The hosts store's views in memory, for placement's look at every host: decoding 100k views
   * per decision was most of its cost. Built on first use, kept by putHost (the only host write);
   * like the deployment index it lives as long as this processor instance, which the runtime
   * replaces whenever it reopens the task.
   */
  private hostMirror: Map<string, HostView> | null = null;

  constructor(
    readonly ctx: ProcessorContext<string, ShadowOutput>,
    readonly opts: ShadowManagerOptions,
  ) {
    this.shadows = ctx.getKeyValueStore(SHADOWS_STORE);
    this.hostStore = ctx.getKeyValueStore(HOSTS_STORE);
    this.deploymentStore = ctx.getKeyValueStore(DEPLOYMENTS_STORE);
    this.hosts = this.hostStore;
    this.deployments = this.deploymentStore;
    this.epochs = ctx.getKeyValueStore(EPOCHS_STORE);
    this.resourceFailovers = ctx.getKeyValueStore(RESOURCE_FAILOVERS_STORE);
    this.hostFailovers = ctx.getKeyValueStore(HOST_FAILOVERS_STORE);
    this.requests = ctx.getKeyValueStore(REQUESTS_STORE);
    this.meta = ctx.getKeyValueStore(META_STORE);
    this.controls = ctx.getKeyValueStore(CONTROLS_STORE);
  }

  get advising(): boolean {
    return this.opts.mode === 'advise';
  }

  async controlBook(): Promise<ControlBook> {
    return (await this.controls.get(CONTROL_BOOK_KEY)) ?? emptyControls();
  }

  saveControlBook(book: ControlBook): void {
    this.controls.put(CONTROL_BOOK_KEY, book);
    // What the queue may place changes with the controls.
    this.queueDirty = true;
  }

  /** Why an automatic action on this host or region must wait now (wall clock), or null. */
  async suppression(target: ControlTarget): Promise<Suppression | null> {
    return suppressionFor(await this.controlBook(), target, this.ctx.wallClockTime());
  }

  /** A control.state record; null is a tombstone (a cancelled or ended window). */
  publishControl(controlId: string, state: ControlState | null, now: number): void {
    this.ctx.forward(new StreamRecord(controlId, state, now), CONTROL_STATE_CHILD);
  }

  async view(hostId: string): Promise<HostView> {
    return (await this.hosts.get(hostId)) ?? emptyView(hostId);
  }

  /** Every host's view, in no particular order (placement's ranking is total, so order does not matter). */
  async hostViews(): Promise<Iterable<HostView>> {
    if (!this.hostMirror) {
      const mirror = new Map<string, HostView>();
      for await (const { key, value } of this.hosts.all()) mirror.set(key, value);
      this.hostMirror = mirror;
    }
    return this.hostMirror.values();
  }

  /** The only write to the hosts store, so the mirror stays true to it. */
  putHost(hostId: string, view: HostView): void {
    this.hostStore.put(hostId, view);
    this.hostMirror?.set(hostId, view);
  }

  async epochOf(resourceId: string): Promise<number> {
    return (await this.epochs.get(resourceId)) ?? 0;
  }

  /** The deployments by host (deployment-index.ts), built from the store on first use. */
  async deploymentsByHost(): Promise<DeploymentIndex> {
    this.deploymentIndex ??= await DeploymentIndex.build(this.deployments.all(), consumesCapacity);
    return this.deploymentIndex;
  }

  async deploymentsOn(hostId: string): Promise<Deployment[]> {
    const out: Deployment[] = [];
    for (const id of (await this.deploymentsByHost()).resourcesOn(hostId)) {
      const d = await this.deployments.get(id);
      if (d && d.host === hostId && consumesCapacity(d)) out.push(d);
    }
    return out;
  }

  /** The only writes to the deployments store, so the index by host stays true to it. */
  putDeployment(d: Deployment): void {
    this.deploymentStore.put(d.resourceId, d);
    this.deploymentIndex?.set(d);
  }

  deleteDeployment(resourceId: string): void {
    this.deploymentStore.delete(resourceId);
    this.deploymentIndex?.remove(resourceId);
  }

  async shadowsWhere(pred: (s: ShadowRecord) => boolean): Promise<ShadowRecord[]> {
    return (await collect(this.shadows.all())).filter(pred);
  }

  /** Emits a transition's commands and saves (and publishes) its record. */
  apply(t: Transition, now: number): void {
    this.sendCommands(t.commands, now);
    this.saveShadow(t.record, now, true);
  }

  sendCommands(commands: readonly ShadowCommand[], now: number): void {
    for (const c of commands) {
      const out = this.advising ? { ...c, advisory: true } : c;
      this.ctx.forward(new StreamRecord(out.resourceId, out, now), SHADOW_COMMANDS_CHILD);
    }
  }

  saveShadow(r: ShadowRecord, now: number, publish: boolean): void {
    this.shadows.put(r.resourceId, r);
    this.queueDirty = true;
    if (publish) this.ctx.forward(new StreamRecord(r.resourceId, toShadowState(r), now), SHADOW_STATE_CHILD);
  }

  /** A shadow.state tombstone: views of the topic stop listing the resource. */
  forgetShadowState(resourceId: string, now: number): void {
    this.ctx.forward(new StreamRecord(resourceId, null, now), SHADOW_STATE_CHILD);
  }

  emitEvent(e: FailoverEvent): void {
    this.ctx.forward(new StreamRecord(e.subject, e, e.timestamp), FAILOVER_EVENTS_CHILD);
  }

  /** A failure this manager detected itself, so it becomes a model label and a trigger for others. */
  publishFailure(failure: HostFailure, now: number): void {
    this.ctx.forward(new StreamRecord(failure.host, failure, now), HOST_FAILURES_CHILD);
  }
}
