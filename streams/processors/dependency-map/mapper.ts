/**
 * The dependency mapper's state for one region and the pure functions that fold evidence into it
 * and turn it into a DAG document. The processor keeps one such state per region in its store;
 * tests, the demo and the CLI can drive the same functions directly.
 *
 * Observations whose ends do not resolve yet (a flow seen before the discovery event naming its
 * addresses) wait in `pending` and are retried whenever the DAG is built, until their TTL passes.
 */
import { buildDag, type DagDocument, dagShape } from './dag.js';
import {
  applyDiscovery,
  DEFAULT_INTERNAL_DOMAINS,
  type DirectoryEntry,
  type DirectoryIndex,
  endpointKey,
  indexDirectory,
  resolveEndpoint,
} from './directory.js';
import {
  confidence,
  DEFAULT_EDGE_POLICY,
  decay,
  type EdgePolicy,
  type EdgeState,
  kindsOf,
  lastSeen,
  observe,
  weight,
} from './edges.js';
import {
  type EndpointRef,
  type EvidenceKind,
  parseConfigSnapshot,
  parseDiscovery,
  parseFlow,
  parseSpans,
} from './evidence.js';

/** One end of an observation: a service already named, or an endpoint still to resolve. */
export type Ref = { service: string } | { endpoint: EndpointRef };

export interface PendingObservation {
  from: Ref;
  to: Ref;
  kind: EvidenceKind;
  timestamp: number;
  count: number;
  bytes: number;
}

export interface RegionDependencyState {
  region: string;
  directory: Record<string, DirectoryEntry>;
  /** Keyed `from→to`. */
  edges: Record<string, EdgeState>;
  pending: Record<string, PendingObservation>;
  /** Services named by any evidence → last seen. */
  services: Record<string, number>;
  version: number;
  lastShape: string;
  lastEmittedAt: number;
}

export interface MapperOptions {
  policy: EdgePolicy;
  internalDomains: readonly string[];
  /** Pending observations are forgotten after this long unresolved. */
  pendingTtlMs: number;
  /** Bound on pending observations per region (oldest dropped first). */
  maxPending: number;
}

export const DEFAULT_MAPPER_OPTIONS: MapperOptions = {
  policy: DEFAULT_EDGE_POLICY,
  internalDomains: DEFAULT_INTERNAL_DOMAINS,
  pendingTtlMs: 3_600_000,
  maxPending: 10_000,
};

export function newRegionState(region: string): RegionDependencyState {
  return { region, directory: {}, edges: {}, pending: {}, services: {}, version: 0, lastShape: '', lastEmittedAt: -1 };
}

/** The region an evidence record belongs to, if it says. */
export function evidenceRegion(kind: EvidenceKind, value: unknown): string | undefined {
  switch (kind) {
    case 'config':
      return parseConfigSnapshot(value)?.region;
    case 'discovery':
      return parseDiscovery(value)?.region;
    case 'flow':
      return parseFlow(value)?.region;
    case 'span':
      return parseSpans(value)?.region;
  }
}

function index(state: RegionDependencyState): DirectoryIndex {
  return indexDirectory(Object.values(state.directory), Object.keys(state.services));
}

function resolveRef(ix: DirectoryIndex, ref: Ref, options: MapperOptions): string | undefined {
  if ('service' in ref) return ref.service;
  return resolveEndpoint(ix, ref.endpoint, options.internalDomains);
}

function refKey(ref: Ref): string {
  return 'service' in ref ? `s:${ref.service}` : `e:${endpointKey(ref.endpoint)}`;
}

function record(
  state: RegionDependencyState,
  from: string,
  to: string,
  kind: EvidenceKind,
  ts: number,
  bytes: number,
): void {
  if (from === to) return;
  const key = `${from}→${to}`;
  state.edges[key] = observe(state.edges[key], from, to, kind, ts, bytes);
}

function addObservation(
  state: RegionDependencyState,
  ix: DirectoryIndex,
  obs: PendingObservation,
  options: MapperOptions,
): void {
  const from = resolveRef(ix, obs.from, options);
  const to = resolveRef(ix, obs.to, options);
  if (from !== undefined && to !== undefined) {
    for (let i = 0; i < obs.count; i++) record(state, from, to, obs.kind, obs.timestamp, i === 0 ? obs.bytes : 0);
    return;
  }
  const key = `${refKey(obs.from)}|${refKey(obs.to)}|${obs.kind}`;
  const existing = state.pending[key];
  if (existing) {
    existing.count += obs.count;
    existing.bytes += obs.bytes;
    existing.timestamp = Math.max(existing.timestamp, obs.timestamp);
  } else {
    state.pending[key] = { ...obs };
  }
}

/** Folds one evidence record into the region state. Returns false when the record was not usable. */
export function ingestEvidence(
  state: RegionDependencyState,
  kind: EvidenceKind,
  value: unknown,
  timestamp: number,
  options: MapperOptions = DEFAULT_MAPPER_OPTIONS,
  fallbackService?: string,
): boolean {
  switch (kind) {
    case 'discovery': {
      const event = parseDiscovery(value);
      if (!event) return false;
      const dir = new Map(Object.entries(state.directory));
      const entry = applyDiscovery(dir, event, timestamp);
      if (entry) state.directory[event.service] = entry;
      state.services[event.service] = timestamp;
      const ix = index(state);
      for (const up of event.upstreams) {
        addObservation(
          state,
          ix,
          { from: { service: event.service }, to: { service: up }, kind, timestamp, count: 1, bytes: 0 },
          options,
        );
      }
      return true;
    }
    case 'config': {
      const snap = parseConfigSnapshot(value, fallbackService);
      if (!snap) return false;
      state.services[snap.service] = timestamp;
      const ix = index(state);
      for (const ref of snap.references) {
        addObservation(
          state,
          ix,
          { from: { service: snap.service }, to: { endpoint: ref }, kind, timestamp, count: 1, bytes: 0 },
          options,
        );
      }
      return true;
    }
    case 'flow': {
      const flow = parseFlow(value);
      if (!flow) return false;
      const ix = index(state);
      // The source port of a client connection is ephemeral: resolve the source by address only.
      addObservation(
        state,
        ix,
        {
          from: { endpoint: { host: flow.src.host } },
          to: { endpoint: flow.dst },
          kind,
          timestamp: flow.timestamp ?? timestamp,
          count: 1,
          bytes: flow.bytes,
        },
        options,
      );
      return true;
    }
    case 'span': {
      const batch = parseSpans(value);
      if (!batch) return false;
      const ix = index(state);
      for (const call of batch.calls) {
        state.services[call.from] = timestamp;
        state.services[call.to] = timestamp;
        addObservation(
          state,
          ix,
          { from: { service: call.from }, to: { service: call.to }, kind, timestamp, count: 1, bytes: 0 },
          options,
        );
      }
      return true;
    }
  }
}

/** Retries pending observations, forgets stale ones, and decays old edges. */
export function maintain(
  state: RegionDependencyState,
  now: number,
  options: MapperOptions = DEFAULT_MAPPER_OPTIONS,
): void {
  const ix = index(state);
  const pending = Object.entries(state.pending).sort(([, a], [, b]) => b.timestamp - a.timestamp);
  state.pending = {};
  for (const [key, obs] of pending) {
    if (now - obs.timestamp > options.pendingTtlMs) continue;
    const from = resolveRef(ix, obs.from, options);
    const to = resolveRef(ix, obs.to, options);
    if (from !== undefined && to !== undefined) {
      for (let i = 0; i < obs.count; i++) record(state, from, to, obs.kind, obs.timestamp, i === 0 ? obs.bytes : 0);
    } else if (Object.keys(state.pending).length < options.maxPending) {
      state.pending[key] = obs;
    }
  }
  for (const [key, edge] of Object.entries(state.edges)) {
    const kept = decay(edge, now, options.policy);
    if (kept) state.edges[key] = kept;
    else delete state.edges[key];
  }
}

/** The DAG document the current evidence supports (does not bump the version). */
export function currentDag(
  state: RegionDependencyState,
  now: number,
  version: number,
  options: MapperOptions = DEFAULT_MAPPER_OPTIONS,
): DagDocument {
  const edges = Object.values(state.edges)
    .map((e) => ({
      from: e.from,
      to: e.to,
      kinds: kindsOf(e, options.policy),
      weight: weight(e),
      confidence: Math.round(confidence(e, now, options.policy) * 1000) / 1000,
      lastSeen: lastSeen(e),
    }))
    .filter((e) => e.kinds.length > 0 && e.confidence >= options.policy.minConfidence);
  return buildDag(state.region, Object.keys(state.services), edges, version, now);
}

/**
 * Builds the DAG and decides whether to publish it: when its shape changed, or `maxIntervalMs`
 * passed since the last one. Bumps the version only when publishing.
 */
export function nextDag(
  state: RegionDependencyState,
  now: number,
  maxIntervalMs: number,
  options: MapperOptions = DEFAULT_MAPPER_OPTIONS,
): DagDocument | undefined {
  maintain(state, now, options);
  const dag = currentDag(state, now, state.version + 1, options);
  const shape = dagShape(dag);
  const due = state.lastEmittedAt < 0 || now - state.lastEmittedAt >= maxIntervalMs;
  if (shape === state.lastShape && !due) return undefined;
  if (dag.nodes.length === 0) return undefined;
  state.version += 1;
  state.lastShape = shape;
  state.lastEmittedAt = now;
  return dag;
}
