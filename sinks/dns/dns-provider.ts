/**
 * DNS actuator: repoints a resource's record at the promoted instance with an RFC 2136 dynamic
 * update signed with TSIG (BIND 9 or any server accepting TSIG-signed updates), with a short TTL
 * so resolvers follow quickly, then reads the record back from the server to confirm.
 *
 * The record name comes from command config `dns.name` or the `records` option; the address is the
 * host part of targetAddress (IPv4 → A, IPv6 → AAAA, a host name → CNAME), or config `dns.value`.
 * The TSIG secret is read from the environment variable named by `keySecretEnv`. After a crash
 * between the update and its record, `reconcile` asks the server whether the record already holds
 * the new value instead of sending the update again.
 *
 * Fencing at the resource (`fenceRecords`, default on): the epoch of the last redirect lives on the
 * server beside the record, in TXT `_foreshadow-epoch.<name>`. A redirect reads it, refuses
 * (REJECTED_STALE_EPOCH) if it is newer than the command's, and otherwise sends its change
 * conditional on the TXT still holding what was read, setting it to the command's epoch in the same
 * atomic update. So an actuator that stalled anywhere, even between its last check and the update
 * leaving it, can never overwrite a newer epoch's answer.
 */
import { Resolver } from 'node:dns/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import { hostOf } from '../framework/address.js';
import { permanentError, transientError } from '../framework/errors.js';
import type { ActuationContext, ActuatorCommand, FailoverCommand, Outcome, ShadowCommand } from '../framework/types.js';
import { mergeOutcomes, type PartOutcome } from '../region/outcomes.js';
import type { RegionMember } from '../region/region-provider.js';
import { FenceMoved, nsupdate, type RecordUpdate } from './nsupdate.js';

/** The TXT record holding a record's fencing epoch. */
export function epochRecordOf(name: string): string {
  return `_foreshadow-epoch.${name}`;
}

export const dnsProviderOptionsSchema = z.object({
  name: z.string().default('dns'),
  /** Primary name server accepting updates. */
  server: z.string().min(1),
  port: z.number().int().positive().default(53),
  zone: z.string().min(1),
  keyName: z.string().min(1),
  keyAlgorithm: z.string().default('hmac-sha256'),
  keySecretEnv: z.string().default('FORESHADOW_DNS_TSIG_SECRET'),
  ttl: z.number().int().min(0).default(30),
  /** resourceId → record name, for commands without `dns.name`. */
  records: z.record(z.string(), z.string()).default({}),
  nsupdate: z.string().default('nsupdate'),
  timeoutMs: z.number().int().positive().default(5_000),
  /** Read the record back from `server` after the update. */
  verify: z.boolean().default(true),
  /** Keep the epoch in a TXT record beside each record and update conditionally on it. */
  fenceRecords: z.boolean().default(true),
  /**
   * Region failover: region → record name → its address in that region. REDIRECT_TRAFFIC to a
   * shadow region points every record listed for it at its address there, each update fenced by
   * the failover's epoch like a shadow redirect.
   */
  regionRecords: z.record(z.string(), z.record(z.string(), z.string().min(1))).default({}),
});
export type DnsProviderOptions = z.input<typeof dnsProviderOptionsSchema>;

export class DnsProvider implements RegionMember {
  readonly name: string;
  private readonly o: z.infer<typeof dnsProviderOptionsSchema>;

  constructor(options: DnsProviderOptions) {
    this.o = dnsProviderOptionsSchema.parse(options);
    this.name = this.o.name;
  }

  private recordOf(cmd: ShadowCommand): string | undefined {
    return cmd.config['dns.name'] ?? this.o.records[cmd.resourceId];
  }

  /** DNS runs no service: it only moves names (REDIRECT_TRAFFIC). */
  ownsService(_service: string, _region: string): boolean {
    return false;
  }

  private regionRecordsOf(cmd: FailoverCommand): [string, string][] {
    return Object.entries(this.o.regionRecords[cmd.shadowRegion] ?? {});
  }

  accepts(c: ActuatorCommand): boolean {
    if (c.source === 'failover') {
      return c.command.type === 'REDIRECT_TRAFFIC' && this.regionRecordsOf(c.command).length > 0;
    }
    return c.source === 'shadow' && c.command.type === 'REDIRECT' && this.recordOf(c.command) !== undefined;
  }

  async redirect(cmd: ShadowCommand): Promise<Outcome> {
    const name = this.recordOf(cmd) ?? '';
    const value = cmd.config['dns.value'] ?? (cmd.targetAddress ? hostOf(cmd.targetAddress) : undefined);
    if (!value) throw permanentError('targetAddress or config dns.value is required for a DNS redirect');
    return this.point(name, value, cmd.epoch);
  }

  /** Region failover: REDIRECT_TRAFFIC moves every record of the shadow region (see `regionRecords`). */
  async failoverStep(cmd: FailoverCommand, _ctx: ActuationContext): Promise<Outcome> {
    if (cmd.type !== 'REDIRECT_TRAFFIC') return {};
    const records = this.regionRecordsOf(cmd);
    if (cmd.dryRun) return { detail: `dry run: ${records.length} record(s) not moved` };
    const parts = await Promise.all(
      records.map(
        async ([name, value]): Promise<PartOutcome> => ({
          member: name,
          outcome: await this.point(name, value, cmd.epoch),
        }),
      ),
    );
    return mergeOutcomes(parts);
  }

  /** Points `name` at `value` (an address or a host name), fenced by `epoch`. */
  private async point(name: string, value: string, epoch: number): Promise<Outcome> {
    const secret = process.env[this.o.keySecretEnv];
    if (!secret) throw permanentError(`environment variable ${this.o.keySecretEnv} (TSIG secret) is not set`);
    const type = isIPv4(value) ? 'A' : isIPv6(value) ? 'AAAA' : 'CNAME';
    const update: RecordUpdate = {
      server: this.o.server,
      port: this.o.port,
      zone: this.o.zone,
      key: { name: this.o.keyName, algorithm: this.o.keyAlgorithm, secret },
      name,
      ttl: this.o.ttl,
      type,
      value,
    };
    if (this.o.fenceRecords) {
      const fence = epochRecordOf(name);
      const current = await this.epochAt(fence);
      if (current !== undefined && current > epoch) {
        return {
          status: 'REJECTED_STALE_EPOCH',
          detail: `${fence} holds epoch ${current}, newer than the command's ${epoch}: ${name} left as it is`,
        };
      }
      update.fence = { name: fence, expected: current, epoch };
    }
    try {
      await nsupdate(update, { binary: this.o.nsupdate, timeoutMs: this.o.timeoutMs });
    } catch (err: unknown) {
      // Someone updated the epoch between our read and our update: read again on the retry.
      if (err instanceof FenceMoved) throw transientError(err.message, { name }, err);
      throw err;
    }
    if (this.o.verify) await this.verify(name, type, value);
    return { address: value, detail: `${name} ${this.o.ttl} ${type} ${value}` };
  }

  /** Look, never act: does the server already answer the new value for the record? */
  async reconcile(c: ActuatorCommand, _ctx: ActuationContext): Promise<Outcome | undefined> {
    if (c.source === 'failover') return this.observeRegionRecords(c.command);
    if (c.command.type !== 'REDIRECT') return undefined;
    const cmd = c.command;
    const name = this.recordOf(cmd) ?? '';
    const value = cmd.config['dns.value'] ?? (cmd.targetAddress ? hostOf(cmd.targetAddress) : undefined);
    if (!value) return undefined;
    const type = isIPv4(value) ? 'A' : isIPv6(value) ? 'AAAA' : 'CNAME';
    try {
      await this.verify(name, type, value);
    } catch {
      return undefined; // not (yet) the new value, or no answer: send the update
    }
    return { address: value, detail: `${name} ${type} ${value} already in place` };
  }

  /** Look, never act: every record of the shadow region already answers its address there. */
  private async observeRegionRecords(cmd: FailoverCommand): Promise<Outcome | undefined> {
    if (cmd.type !== 'REDIRECT_TRAFFIC' || cmd.dryRun) return undefined;
    const records = this.regionRecordsOf(cmd);
    try {
      for (const [name, value] of records) {
        await this.verify(name, isIPv4(value) ? 'A' : isIPv6(value) ? 'AAAA' : 'CNAME', value);
      }
    } catch {
      return undefined;
    }
    return { detail: `${records.length} record(s) already point at ${cmd.shadowRegion}` };
  }

  private resolver(): Resolver {
    const r = new Resolver({ timeout: this.o.timeoutMs, tries: 2 });
    r.setServers([isIPv6(this.o.server) ? `[${this.o.server}]:${this.o.port}` : `${this.o.server}:${this.o.port}`]);
    return r;
  }

  /** The epoch in a fence TXT record on the server; undefined when there is none yet. */
  private async epochAt(fence: string): Promise<number | undefined> {
    let answers: string[][];
    try {
      answers = await this.resolver().resolveTxt(fence);
    } catch (err: unknown) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') return undefined;
      throw transientError(`cannot read ${fence}: ${code ?? String(err)}`, { fence }, err);
    }
    const epochs = answers.map((chunks) => Number(chunks.join(''))).filter((n) => Number.isFinite(n));
    if (epochs.length === 0) throw permanentError(`${fence} holds no epoch: ${JSON.stringify(answers)}`, { fence });
    return Math.max(...epochs);
  }

  private async verify(name: string, type: 'A' | 'AAAA' | 'CNAME', value: string): Promise<void> {
    const r = this.resolver();
    const answers =
      type === 'A' ? await r.resolve4(name) : type === 'AAAA' ? await r.resolve6(name) : await r.resolveCname(name);
    const want = value.replace(/\.$/, '');
    if (!answers.some((a) => a.replace(/\.$/, '') === want)) {
      throw transientError(`DNS server still answers ${answers.join(',')} for ${name}`, { name });
    }
  }
}
