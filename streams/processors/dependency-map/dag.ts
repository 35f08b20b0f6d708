/**
 * From dependency edges to the region's DAG document (docs/dag-format.md): strongly connected
 * components by Tarjan's algorithm, each cycle reported and condensed into one launch group, and
 * launch levels on the condensed (always acyclic) graph — level 0 depends on nothing, and every
 * group sits one level above the highest group it depends on, so launching level by level starts
 * every service after everything it depends on.
 */
import type { EvidenceKind } from './evidence.js';

export const DAG_FORMAT = 'foreshadow.dag/v1';

export interface DagEdge {
  /** `from` depends on `to`: `to` launches first. */
  from: string;
  to: string;
  kinds: EvidenceKind[];
  weight: number;
  confidence: number;
  lastSeen: number;
  /** Both ends are in the same launch group (the edge is part of a cycle). */
  inCycle: boolean;
}

export interface DagNode {
  id: string;
  group: string;
  level: number;
}

export interface DagGroup {
  id: string;
  services: string[];
  level: number;
  cyclic: boolean;
  /** Groups this group depends on. */
  dependsOn: string[];
}

export interface DagDocument {
  format: typeof DAG_FORMAT;
  region: string;
  version: number;
  generatedAt: number;
  nodes: DagNode[];
  edges: DagEdge[];
  groups: DagGroup[];
  /** Each cycle's services (a strongly connected component of more than one service). */
  cycles: string[][];
  /** Launch order: group ids per level, level 0 first. */
  levels: string[][];
}

export interface EdgeInput {
  from: string;
  to: string;
  kinds: EvidenceKind[];
  weight: number;
  confidence: number;
  lastSeen: number;
}

/** Tarjan's strongly connected components, iterative (no recursion limit), deterministic order. */
export function stronglyConnectedComponents(nodes: readonly string[], adjacency: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; next: number }> = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter);
    counter++;
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const succ = adjacency.get(frame.node) ?? [];
      if (frame.next < succ.length) {
        const w = succ[frame.next++]!;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter);
          counter++;
          stack.push(w);
          onStack.add(w);
          work.push({ node: w, next: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(w)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== frame.node);
        out.push(component.sort());
      }
    }
  }
  return out;
}

/** A stable launch-group id: the service itself, or the cycle's first member. */
export function groupId(members: readonly string[]): string {
  return members.length === 1 ? members[0]! : `cycle:${members[0]}`;
}

/** Builds the DAG document from services and (already filtered) edges. */
export function buildDag(
  region: string,
  services: Iterable<string>,
  edgeInputs: readonly EdgeInput[],
  version: number,
  generatedAt: number,
): DagDocument {
  const nodeSet = new Set<string>(services);
  const edges = edgeInputs.filter((e) => e.from !== e.to);
  for (const e of edges) {
    nodeSet.add(e.from);
    nodeSet.add(e.to);
  }
  const nodes = [...nodeSet].sort();
  const adjacency = new Map<string, string[]>();
  for (const e of edges) adjacency.set(e.from, [...(adjacency.get(e.from) ?? []), e.to]);
  for (const list of adjacency.values()) list.sort();
  const components = stronglyConnectedComponents(nodes, adjacency);
  const groupOf = new Map<string, string>();
  const groups = new Map<string, DagGroup>();
  for (const members of components) {
    const id = groupId(members);
    for (const m of members) groupOf.set(m, id);
    groups.set(id, { id, services: members, level: 0, cyclic: members.length > 1, dependsOn: [] });
  }
  for (const e of edges) {
    const a = groupOf.get(e.from)!;
    const b = groupOf.get(e.to)!;
    if (a === b) continue;
    const g = groups.get(a)!;
    if (!g.dependsOn.includes(b)) g.dependsOn.push(b);
  }
  for (const g of groups.values()) g.dependsOn.sort();
  // Tarjan emits components in reverse topological order of the condensation (a component comes
  // after every component it reaches), so one pass in emission order sees dependencies first.
  for (const members of components) {
    const g = groups.get(groupId(members))!;
    g.level = g.dependsOn.reduce((lvl, dep) => Math.max(lvl, groups.get(dep)!.level + 1), 0);
  }
  const maxLevel = Math.max(-1, ...[...groups.values()].map((g) => g.level));
  const levels: string[][] = Array.from({ length: maxLevel + 1 }, () => []);
  for (const g of [...groups.values()].sort((x, y) => (x.id < y.id ? -1 : 1))) levels[g.level]!.push(g.id);
  return {
    format: DAG_FORMAT,
    region,
    version,
    generatedAt,
    nodes: nodes.map((id) => ({ id, group: groupOf.get(id)!, level: groups.get(groupOf.get(id)!)!.level })),
    edges: edges
      .map((e) => ({ ...e, inCycle: groupOf.get(e.from) === groupOf.get(e.to) }))
      .sort((x, y) => (x.from === y.from ? (x.to < y.to ? -1 : 1) : x.from < y.from ? -1 : 1)),
    groups: [...groups.values()].sort((x, y) => x.level - y.level || (x.id < y.id ? -1 : 1)),
    cycles: [...groups.values()].filter((g) => g.cyclic).map((g) => g.services),
    levels,
  };
}

/** Every edge whose ends are in different groups goes from a higher level to a lower one. */
export function launchOrderViolations(dag: DagDocument): DagEdge[] {
  const level = new Map(dag.nodes.map((n) => [n.id, n.level]));
  return dag.edges.filter((e) => !e.inCycle && !(level.get(e.from)! > level.get(e.to)!));
}

/** A digest of what matters for consumers (structure, not timestamps or weights). */
export function dagShape(dag: DagDocument): string {
  return JSON.stringify([
    dag.nodes.map((n) => [n.id, n.group, n.level]),
    dag.edges.map((e) => [e.from, e.to, e.kinds]),
  ]);
}
