/**
 * What `inventory apply` changes, like `kubectl apply`: each declared record compared with the
 * table's current one (timestamps and the deployment outcome, which deploy tooling owns, aside),
 * giving added / changed (with the fields) / unchanged; and records this inventory wrote earlier
 * that the file no longer declares, which are removed (tombstoned). Records of other inventories or
 * tools are never removed; one the file now declares is adopted (reported as changed). Pure.
 */
import type { Deployment } from '../../schemas/records/deployment.js';
import type { Host } from '../../schemas/records/host.js';
import { INVENTORY_MARK, type Inventory } from './inventory-file.js';

export type ChangeKind = 'added' | 'changed' | 'unchanged' | 'removed';

export interface Change<T> {
  key: string;
  kind: ChangeKind;
  /** The record to write (null: a tombstone); undefined when nothing is written. */
  write?: T | null;
  /** `field: before → after` for a changed record. */
  fields: string[];
}

export interface InventoryDiff {
  hosts: Change<Host>[];
  deployments: Change<Deployment>[];
}

/** Fields not declared by an inventory: left as the table has them. */
const OWNED_ELSEWHERE = new Set(['updatedAt', 'deployedAt', 'outcome']);

const show = (v: unknown): string => JSON.stringify(v) ?? 'undefined';

/** Declared fields that differ, as `field: before → after` (maps compared key by key). */
export function changedFields(current: object, next: object): string[] {
  const out: string[] = [];
  const a = current as Record<string, unknown>;
  const b = next as Record<string, unknown>;
  for (const field of Object.keys(b)) {
    if (OWNED_ELSEWHERE.has(field)) continue;
    const x = a[field];
    const y = b[field];
    if (typeof y === 'object' && y !== null && !Array.isArray(y)) {
      const xm = (typeof x === 'object' && x !== null ? x : {}) as Record<string, unknown>;
      const ym = y as Record<string, unknown>;
      for (const k of [...new Set([...Object.keys(xm), ...Object.keys(ym)])].sort())
        if (xm[k] !== ym[k]) out.push(`${field}.${k}: ${show(xm[k])} → ${show(ym[k])}`);
    } else if (x !== y) out.push(`${field}: ${show(x)} → ${show(y)}`);
  }
  return out;
}

function diffTable<T extends object>(
  declared: readonly T[],
  current: ReadonlyMap<string, T>,
  keyOf: (t: T) => string,
  markOf: (t: T) => string | undefined,
  inventory: string,
  keep: (next: T, prior: T) => T,
): Change<T>[] {
  const out: Change<T>[] = [];
  const wanted = new Set<string>();
  for (const next of declared) {
    const key = keyOf(next);
    wanted.add(key);
    const prior = current.get(key);
    if (!prior) {
      out.push({ key, kind: 'added', write: next, fields: [] });
      continue;
    }
    const fields = changedFields(prior, next);
    out.push(
      fields.length === 0
        ? { key, kind: 'unchanged', fields }
        : { key, kind: 'changed', write: keep(next, prior), fields },
    );
  }
  for (const [key, prior] of current) {
    if (wanted.has(key) || markOf(prior) !== inventory) continue;
    out.push({ key, kind: 'removed', write: null, fields: [] });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export function diffInventory(
  inv: Inventory,
  currentHosts: ReadonlyMap<string, Host>,
  currentDeployments: ReadonlyMap<string, Deployment>,
): InventoryDiff {
  return {
    hosts: diffTable(
      inv.hosts,
      currentHosts,
      (h) => h.host,
      (h) => h.labels?.[INVENTORY_MARK],
      inv.name,
      (next) => next,
    ),
    deployments: diffTable(
      inv.deployments,
      currentDeployments,
      (d) => d.resourceId,
      (d) => d.config?.[INVENTORY_MARK],
      inv.name,
      // A deployment's outcome is the deploy tooling's: an inventory change keeps it.
      (next, prior) => ({ ...next, outcome: prior.outcome }),
    ),
  };
}

export function summarise(diff: InventoryDiff): Record<'hosts' | 'deployments', Record<ChangeKind, number>> {
  const count = (changes: Change<unknown>[]): Record<ChangeKind, number> => {
    const c: Record<ChangeKind, number> = { added: 0, changed: 0, unchanged: 0, removed: 0 };
    for (const x of changes) c[x.kind]++;
    return c;
  };
  return { hosts: count(diff.hosts), deployments: count(diff.deployments) };
}

/** The diff as lines, kubectl-style (`host eu-1 added`, `resource r changed: tier: … → …`). */
export function renderDiff(diff: InventoryDiff, showUnchanged = false): string[] {
  const lines: string[] = [];
  const emit = (what: string, changes: Change<unknown>[]): void => {
    for (const c of changes) {
      if (c.kind === 'unchanged' && !showUnchanged) continue;
      lines.push(`${what} ${c.key} ${c.kind}${c.fields.length > 0 ? `: ${c.fields.join('; ')}` : ''}`);
    }
  };
  emit('host', diff.hosts);
  emit('resource', diff.deployments);
  return lines;
}
