/**
 * PostgreSQL actuator for region failover. A database service of the primary region has a hot
 * standby in the shadow region (streaming replication, set up outside Foreshadow: the blueprint is
 * configuration only, never data). In a region failover
 *   - LAUNCH_LEVEL with provisionOnly checks the standby is there and reports its replay lag;
 *   - LAUNCH_LEVEL (the service's start, in DAG order, so its dependants start against a writable
 *     primary) promotes it with `pg_promote()` and claims the promotion for the command's epoch;
 *   - START_REPLICATION creates a physical replication slot for the old region to re-join from
 *     (as a standby of the new primary, e.g. after pg_rewind), when `rejoinSlot` is configured;
 *   - the networking, redirect and abort steps have nothing to do here (a promoted database cannot
 *     be demoted without a rebuild, so an abort leaves it as it is and says so).
 *
 * Fencing at the resource: the epoch of the failover that promoted a database lives in the
 * database itself, in `<fenceSchema>.epochs` (one row per primary region/service), written in the
 * new primary's first transaction with a compare-and-set (`... WHERE epochs.epoch <= new`). A
 * command whose epoch is older than the row's is refused (REJECTED_STALE_EPOCH) before anything
 * is done, and a promotion raced by a newer epoch loses the compare-and-set and is refused too. A
 * standby replicates the row from its primary, so a stale command is refused there as well.
 * A retry of the same epoch finds the database promoted with its own epoch and reports it as done
 * without promoting again (`pg_promote()` on a primary would fail).
 *
 * Credentials: the password, if any, is read from the environment variable named by `passwordEnv`.
 */
import { Client } from 'pg';
import type { z } from 'zod';
import { ForeshadowError } from '../../streams/runtime/errors.js';
import { formatHostPort, parseHostPort } from '../framework/address.js';
import { permanentError, transientError } from '../framework/errors.js';
import type { ActuationContext, ActuatorCommand, FailoverCommand, Outcome, ServiceLaunch } from '../framework/types.js';
import { mergeOutcomes, type PartOutcome } from '../region/outcomes.js';
import type { RegionMember } from '../region/region-provider.js';
import { type PostgresProviderOptions, type PostgresTarget, postgresProviderOptionsSchema } from './options.js';
import { isUndefinedTable, pgError } from './pg-errors.js';

// The options schemas live in options.ts, which a configuration check loads without the pg client.
export {
  type PostgresProviderOptions,
  type PostgresTarget,
  postgresProviderOptionsSchema,
  postgresTargetSchema,
} from './options.js';

interface Located {
  service: string;
  target: PostgresTarget;
}

export class PostgresProvider implements RegionMember {
  readonly name: string;
  private readonly o: z.infer<typeof postgresProviderOptionsSchema>;

  constructor(options: PostgresProviderOptions) {
    this.o = postgresProviderOptionsSchema.parse(options);
    this.name = this.o.name;
  }

  ownsService(service: string, region: string): boolean {
    return this.o.services[service]?.[region] !== undefined;
  }

  /** On its own (not inside a region actuator): launches of its services, and replication. */
  accepts(c: ActuatorCommand): boolean {
    if (c.source !== 'failover') return false;
    const cmd = c.command;
    if (cmd.type === 'LAUNCH_LEVEL') return this.located(cmd).length > 0;
    return cmd.type === 'START_REPLICATION' && this.inRegion(cmd.shadowRegion).some((l) => l.target.rejoinSlot);
  }

  private located(cmd: FailoverCommand): Located[] {
    return cmd.services
      .filter((s: ServiceLaunch) => this.ownsService(s.service, cmd.shadowRegion))
      .map((s) => ({ service: s.service, target: this.o.services[s.service]![cmd.shadowRegion]! }));
  }

  private inRegion(region: string): Located[] {
    return Object.entries(this.o.services)
      .filter(([, regions]) => regions[region] !== undefined)
      .map(([service, regions]) => ({ service, target: regions[region]! }));
  }

  private async connect(t: PostgresTarget): Promise<Client> {
    const a = parseHostPort(t.address, 'address', 5432);
    let password: string | undefined;
    if (t.passwordEnv) {
      password = process.env[t.passwordEnv];
      if (!password) throw permanentError(`environment variable ${t.passwordEnv} (PostgreSQL password) is not set`);
    }
    const client = new Client({
      host: a.host,
      port: a.port,
      user: t.user,
      database: t.database,
      connectionTimeoutMillis: this.o.connectTimeoutMs,
      ...(password ? { password } : {}),
    });
    // A dropped connection surfaces through the awaited query; the event would crash the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (err: unknown) {
      await client.end().catch(() => undefined);
      throw pgError(`cannot connect to ${formatHostPort(a)}/${t.database}`, err);
    }
  }

  private async withClient<T>(t: PostgresTarget, fn: (c: Client) => Promise<T>): Promise<T> {
    const c = await this.connect(t);
    try {
      return await fn(c);
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  private get fenceTable(): string {
    return `${this.o.fenceSchema}.epochs`;
  }

  /** The epoch of the failover that promoted this database, if any (replicated to standbys too). */
  private async fenceEpoch(c: Client, subject: string): Promise<number | undefined> {
    try {
      const r = await c.query<{ epoch: string }>(
        `SELECT epoch::text AS epoch FROM ${this.fenceTable} WHERE subject = $1`,
        [subject],
      );
      return r.rows[0] ? Number(r.rows[0].epoch) : undefined;
    } catch (err: unknown) {
      if (isUndefinedTable(err)) return undefined;
      throw pgError(`cannot read ${this.fenceTable}`, err);
    }
  }

  private static subject(cmd: FailoverCommand, service: string): string {
    return `${cmd.primaryRegion}/${service}`;
  }

  async failoverStep(cmd: FailoverCommand, _ctx: ActuationContext): Promise<Outcome> {
    if (cmd.dryRun) return { detail: 'dry run: not acted on' };
    if (cmd.type === 'LAUNCH_LEVEL') {
      const mine = this.located(cmd);
      const parts = await Promise.all(
        mine.map(
          async (l): Promise<PartOutcome> => ({
            member: l.service,
            outcome: cmd.provisionOnly ? await this.checkStandby(l) : await this.promoteStandby(cmd, l),
          }),
        ),
      );
      return mergeOutcomes(parts);
    }
    if (cmd.type === 'START_REPLICATION') {
      const parts = await Promise.all(
        this.inRegion(cmd.shadowRegion)
          .filter((l) => l.target.rejoinSlot)
          .map(async (l): Promise<PartOutcome> => ({ member: l.service, outcome: await this.createRejoinSlot(l) })),
      );
      return mergeOutcomes(parts);
    }
    if (cmd.type === 'ABORT') {
      const promoted = this.inRegion(cmd.shadowRegion).map((l) => l.service);
      return promoted.length > 0
        ? { detail: `nothing undone: a promoted database (${promoted.join(', ')}) is not demoted by an abort` }
        : {};
    }
    return {};
  }

  /** provisionOnly: the standby is there and replicating; its replay lag is reported. */
  private checkStandby(l: Located): Promise<Outcome> {
    return this.withClient(l.target, async (c) => {
      const r = await c
        .query<{ standby: boolean; lag: string | null }>(
          `SELECT pg_is_in_recovery() AS standby,
                  pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint::text AS lag`,
        )
        .catch((err: unknown) => {
          throw pgError(`cannot query ${l.target.address}`, err);
        });
      const row = r.rows[0];
      if (!row?.standby) return { address: l.target.address, detail: 'already a primary' };
      const lag = row.lag === null ? null : Number(row.lag);
      return {
        address: l.target.address,
        lagBytes: lag,
        detail: `hot standby ready to promote${lag === null ? '' : `, ${lag} B received but not yet replayed`}`,
      };
    });
  }

  private async promoteStandby(cmd: FailoverCommand, l: Located): Promise<Outcome> {
    const subject = PostgresProvider.subject(cmd, l.service);
    return this.withClient(l.target, async (c) => {
      const before = await this.fenceEpoch(c, subject);
      if (before !== undefined && before > cmd.epoch) {
        return {
          status: 'REJECTED_STALE_EPOCH',
          detail: `${this.fenceTable} holds epoch ${before} for ${subject}, newer than the command's ${cmd.epoch}: not promoted`,
        };
      }
      const state = await c
        .query<{ standby: boolean; lag: string | null }>(
          `SELECT pg_is_in_recovery() AS standby,
                  pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint::text AS lag`,
        )
        .catch((err: unknown) => {
          throw pgError(`cannot query ${l.target.address}`, err);
        });
      const wasStandby = state.rows[0]?.standby === true;
      if (before === cmd.epoch && !wasStandby) {
        return { address: l.target.address, detail: `already promoted at epoch ${cmd.epoch}` };
      }
      const t0 = Date.now();
      if (wasStandby) {
        const r = await c
          .query<{ done: boolean }>('SELECT pg_promote(true, $1) AS done', [this.o.promoteTimeoutS])
          .catch((err: unknown) => {
            throw pgError(`pg_promote() on ${l.target.address}`, err);
          });
        if (!r.rows[0]?.done) {
          throw transientError(`promotion of ${l.target.address} did not finish within ${this.o.promoteTimeoutS} s`);
        }
      }
      const promotedMs = Date.now() - t0;
      const claimed = await this.claim(c, subject, cmd.epoch);
      if (claimed === undefined) {
        const now = await this.fenceEpoch(c, subject);
        return {
          status: 'REJECTED_STALE_EPOCH',
          detail: `a newer epoch (${now ?? '?'}) claimed ${subject} during the promotion`,
        };
      }
      const lag = wasStandby && state.rows[0]?.lag != null ? Number(state.rows[0].lag) : null;
      return {
        address: l.target.address,
        lagBytes: lag,
        detail: wasStandby
          ? `promoted in ${promotedMs} ms to timeline ${claimed.timeline} at epoch ${cmd.epoch}`
          : `already a primary (timeline ${claimed.timeline}); epoch ${cmd.epoch} recorded`,
      };
    });
  }

  /** The new primary's fencing write: the epoch row, only if no newer epoch holds it. */
  private async claim(c: Client, subject: string, epoch: number): Promise<{ timeline: number } | undefined> {
    try {
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${this.o.fenceSchema}`);
      await c.query(
        `CREATE TABLE IF NOT EXISTS ${this.fenceTable} (
           subject text PRIMARY KEY, epoch bigint NOT NULL, timeline integer NOT NULL, promoted_at timestamptz NOT NULL)`,
      );
      const r = await c.query<{ timeline: number }>(
        `INSERT INTO ${this.fenceTable} AS e (subject, epoch, timeline, promoted_at)
           VALUES ($1, $2, ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int, now())
         ON CONFLICT (subject) DO UPDATE
           SET epoch = EXCLUDED.epoch, timeline = EXCLUDED.timeline, promoted_at = EXCLUDED.promoted_at
           WHERE e.epoch <= EXCLUDED.epoch
         RETURNING timeline`,
        [subject, epoch],
      );
      return r.rows[0] ? { timeline: r.rows[0].timeline } : undefined;
    } catch (err: unknown) {
      throw pgError(`cannot record epoch ${epoch} in ${this.fenceTable}`, err, { subject });
    }
  }

  private createRejoinSlot(l: Located): Promise<Outcome> {
    const slot = l.target.rejoinSlot ?? '';
    return this.withClient(l.target, async (c) => {
      try {
        const standby = await c.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
        if (standby.rows[0]?.standby) throw transientError(`${l.target.address} is not promoted yet`);
        const r = await c.query<{ created: boolean }>(
          `SELECT NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1) AS created`,
          [slot],
        );
        if (r.rows[0]?.created) await c.query('SELECT pg_create_physical_replication_slot($1, true)', [slot]);
        return {
          address: l.target.address,
          detail: `replication slot ${slot} ${r.rows[0]?.created ? 'created' : 'already there'} for the old region to re-join`,
        };
      } catch (err: unknown) {
        if (err instanceof ForeshadowError) throw err;
        throw pgError(`cannot create replication slot ${slot}`, err);
      }
    });
  }

  /** Look, never act: every database of the launch already promoted with this epoch, or the slot there. */
  async reconcile(c: ActuatorCommand, _ctx: ActuationContext): Promise<Outcome | undefined> {
    if (c.source !== 'failover' || c.command.dryRun) return undefined;
    const cmd = c.command;
    if (cmd.type === 'LAUNCH_LEVEL' && !cmd.provisionOnly) {
      const parts: PartOutcome[] = [];
      for (const l of this.located(cmd)) {
        const done = await this.withClient(l.target, async (client) => {
          const standby = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
          if (standby.rows[0]?.standby) return false;
          return (await this.fenceEpoch(client, PostgresProvider.subject(cmd, l.service))) === cmd.epoch;
        });
        if (!done) return undefined;
        parts.push({
          member: l.service,
          outcome: { address: l.target.address, detail: `promoted at epoch ${cmd.epoch}` },
        });
      }
      return mergeOutcomes(parts);
    }
    return undefined;
  }
}
