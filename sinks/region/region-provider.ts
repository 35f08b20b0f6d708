/**
 * The region actuator: one provider for a region failover's steps, made of the per-technology
 * providers that each run some of the region's services (PostgreSQL, Redis, HAProxy, DNS, ...).
 *
 * Why one provider: the failover orchestrator counts a failover.commands record as done on the
 * first SUCCEEDED result for its command id. Several providers answering the same LAUNCH_LEVEL in
 * their own consumer groups would let the fastest one report a launch whose other services are
 * still starting. Here every command gets exactly one result: a LAUNCH_LEVEL's services are
 * handed to the members that run them (a service nobody runs fails the command permanently, so a
 * blueprint naming an unknown service is caught at once), the other steps go to every member, and
 * the command succeeds only when every member involved did. A member that failed transiently is
 * retried with the others; that is safe because every member's step converges (idempotent).
 * A drill's commands (dryRun) are checked (every service has a member) but never acted on.
 */

import { describeError, ForeshadowError } from '../../streams/runtime/errors.js';
import { permanentError, transientError } from '../framework/errors.js';
import type {
  ActuationContext,
  ActuatorCommand,
  ActuatorProvider,
  FailoverCommand,
  Outcome,
} from '../framework/types.js';
import { mergeOutcomes } from './outcomes.js';

/** A provider that carries out region failover steps for the services it runs. */
export interface RegionMember extends ActuatorProvider {
  /** Whether this member runs `service` in `region` (the command's shadow region). */
  ownsService(service: string, region: string): boolean;
  /** Acts only on its own services and steps; the command is passed whole (e.g. for instance counts). */
  failoverStep(cmd: FailoverCommand, ctx: ActuationContext): Promise<Outcome>;
}

export function isRegionMember(p: ActuatorProvider): p is RegionMember {
  return typeof (p as Partial<RegionMember>).ownsService === 'function' && typeof p.failoverStep === 'function';
}

export class RegionProvider implements ActuatorProvider {
  constructor(
    private readonly members: readonly RegionMember[],
    readonly name = 'region',
  ) {
    if (members.length === 0) throw permanentError('a region actuator needs at least one member provider');
  }

  accepts(c: ActuatorCommand): boolean {
    return c.source === 'failover';
  }

  /** The members a command concerns: a launch's owners, every member for the other steps. */
  private involved(cmd: FailoverCommand): RegionMember[] {
    if (cmd.type !== 'LAUNCH_LEVEL') return [...this.members];
    const unowned = cmd.services
      .map((s) => s.service)
      .filter((s) => !this.members.some((m) => m.ownsService(s, cmd.shadowRegion)));
    if (unowned.length > 0) {
      throw permanentError(`no actuator runs ${unowned.join(', ')} in region ${cmd.shadowRegion}`, {
        services: unowned,
        region: cmd.shadowRegion,
      });
    }
    return this.members.filter((m) => cmd.services.some((s) => m.ownsService(s.service, cmd.shadowRegion)));
  }

  async failoverStep(cmd: FailoverCommand, ctx: ActuationContext): Promise<Outcome> {
    const members = this.involved(cmd);
    if (cmd.dryRun) {
      return { detail: `dry run of ${cmd.type}: ${members.map((m) => m.name).join(', ') || 'no member'} would act` };
    }
    const settled = await Promise.allSettled(members.map((m) => m.failoverStep(cmd, ctx)));
    const failed = settled
      .map((s, i) => ({ s, member: members[i]! }))
      .filter((x): x is { s: PromiseRejectedResult; member: RegionMember } => x.s.status === 'rejected');
    if (failed.length > 0) {
      const reason = failed.map((f) => `${f.member.name}: ${describeError(f.s.reason)}`).join('; ');
      const permanent = failed.some((f) => f.s.reason instanceof ForeshadowError && !f.s.reason.retriable);
      const context = { members: failed.map((f) => f.member.name), step: cmd.type };
      throw permanent ? permanentError(reason, context) : transientError(reason, context);
    }
    return mergeOutcomes(
      members.map((m, i) => ({ member: m.name, outcome: (settled[i] as PromiseFulfilledResult<Outcome>).value })),
    );
  }

  /** Found in place only when every member involved finds its part in place. */
  async reconcile(c: ActuatorCommand, ctx: ActuationContext): Promise<Outcome | undefined> {
    if (c.source !== 'failover' || c.command.dryRun) return undefined;
    const members = this.involved(c.command);
    const found: { member: string; outcome: Outcome }[] = [];
    for (const m of members) {
      const o = m.reconcile ? await m.reconcile(c, ctx) : undefined;
      if (!o) return undefined;
      found.push({ member: m.name, outcome: o });
    }
    return mergeOutcomes(found);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.members.map((m) => m.close?.()));
  }
}
