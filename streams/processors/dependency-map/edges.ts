/**
 * Dependency edges and their evidence. An edge `from → to` means `from` depends on (calls) `to`.
 * Each kind of evidence keeps its own last-seen time and count; a kind's confidence fades
 * linearly over its TTL and the kind is dropped once the TTL passes, so an edge nobody has seen
 * for a TTL decays away. Kinds combine as independent witnesses: 1 − Π(1 − cₖ).
 */
import { EVIDENCE_KINDS, type EvidenceKind } from './evidence.js';

export interface KindEvidence {
  firstSeen: number;
  lastSeen: number;
  /** Observations: config mentions, discovery declarations, flow records, span calls. */
  count: number;
  bytes: number;
}

export interface EdgeState {
  from: string;
  to: string;
  kinds: Partial<Record<EvidenceKind, KindEvidence>>;
}

export interface EdgePolicy {
  /** Confidence of one fresh kind of evidence on its own. */
  baseConfidence: Record<EvidenceKind, number>;
  ttlMs: Record<EvidenceKind, number>;
  /**
   * Observations a kind needs before it counts: one stray connection (an operator's curl, a
   * scanner) is not a dependency, so a flow needs repeating; a config line or a span does not.
   */
  minCount: Record<EvidenceKind, number>;
  /** Edges below this combined confidence stay out of the DAG. */
  minConfidence: number;
}

const HOUR = 3_600_000;

export const DEFAULT_EDGE_POLICY: EdgePolicy = {
  baseConfidence: { config: 0.6, discovery: 0.8, flow: 0.7, span: 0.9 },
  // Configuration and registrations are re-sent rarely; traffic is continuous.
  ttlMs: { config: 24 * HOUR, discovery: 24 * HOUR, flow: HOUR, span: HOUR },
  minCount: { config: 1, discovery: 1, flow: 2, span: 1 },
  minConfidence: 0.5,
};

export function observe(
  edge: EdgeState | undefined,
  from: string,
  to: string,
  kind: EvidenceKind,
  timestamp: number,
  bytes = 0,
): EdgeState {
  const e: EdgeState = edge ?? { from, to, kinds: {} };
  const k = e.kinds[kind];
  if (k) {
    k.lastSeen = Math.max(k.lastSeen, timestamp);
    k.firstSeen = Math.min(k.firstSeen, timestamp);
    k.count += 1;
    k.bytes += bytes;
  } else {
    e.kinds[kind] = { firstSeen: timestamp, lastSeen: timestamp, count: 1, bytes };
  }
  return e;
}

/** Drops kinds older than their TTL; undefined when nothing is left (the edge decayed away). */
export function decay(edge: EdgeState, now: number, policy: EdgePolicy = DEFAULT_EDGE_POLICY): EdgeState | undefined {
  const kinds: Partial<Record<EvidenceKind, KindEvidence>> = {};
  let any = false;
  for (const kind of EVIDENCE_KINDS) {
    const k = edge.kinds[kind];
    if (k && now - k.lastSeen <= policy.ttlMs[kind]) {
      kinds[kind] = k;
      any = true;
    }
  }
  return any ? { ...edge, kinds } : undefined;
}

export function confidence(edge: EdgeState, now: number, policy: EdgePolicy = DEFAULT_EDGE_POLICY): number {
  let miss = 1;
  for (const kind of kindsOf(edge, policy)) {
    const k = edge.kinds[kind]!;
    const age = Math.max(0, now - k.lastSeen);
    const fresh = Math.max(0, 1 - age / policy.ttlMs[kind]);
    miss *= 1 - policy.baseConfidence[kind] * fresh;
  }
  return 1 - miss;
}

export function weight(edge: EdgeState): number {
  let w = 0;
  for (const kind of EVIDENCE_KINDS) w += edge.kinds[kind]?.count ?? 0;
  return w;
}

export function lastSeen(edge: EdgeState): number {
  let t = -1;
  for (const kind of EVIDENCE_KINDS) t = Math.max(t, edge.kinds[kind]?.lastSeen ?? -1);
  return t;
}

/** The kinds of evidence that count for an edge (seen at least `minCount` times). */
export function kindsOf(edge: EdgeState, policy: EdgePolicy = DEFAULT_EDGE_POLICY): EvidenceKind[] {
  return EVIDENCE_KINDS.filter((k) => (edge.kinds[k]?.count ?? 0) >= (policy.minCount[k] ?? 1));
}
