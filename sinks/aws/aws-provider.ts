/**
 * AWS actuator: carries out region failover steps (failover.commands) on AWS with the AWS SDK for
 * JavaScript v3, for the primary regions its config maps (options.ts):
 *   LAUNCH_LEVEL          Auto Scaling desired capacity or launch-template instances (launch.ts)
 *   CONFIGURE_NETWORKING  security-group ingress and target groups (network.ts)
 *   REDIRECT_TRAFFIC      ELB target registration and Route 53 record sets (redirect.ts)
 *   START_REPLICATION     RDS replica promotion / creation (replicate.ts)
 * Idempotency and epoch fencing come first from the framework's ledger (sinks/framework); each
 * step is also convergent (describe-then-act, client tokens, absolute desired capacities), so a
 * command re-run after a crash finishes the job instead of doing it twice — which is why the
 * provider needs no `reconcile` — and the resources carry the epoch (step.ts), so a stale command
 * is refused by what AWS holds even when the ledger is not shared (another actuator group).
 *
 * Not handled (no result from this provider): shadow commands, ABORT (capacity launched for an
 * aborted failover is left in place for an operator to decide on: scaling it in automatically
 * could take down a region that is serving) and drills (dryRun: only the simulated provider acts).
 */
import { permanentError } from '../framework/errors.js';
import type {
  ActuationContext,
  ActuatorCommand,
  ActuatorProvider,
  FailoverCommand,
  Outcome,
} from '../framework/types.js';
import { AwsClientPool } from './clients.js';
import { launch } from './launch.js';
import { configureNetworking } from './network.js';
import { type AwsProviderConfig, type AwsProviderOptions, parseAwsOptions } from './options.js';

export type { AwsProviderOptions } from './options.js';

import { redirect } from './redirect.js';
import { startReplication } from './replicate.js';
import type { StepContext } from './step.js';

export class AwsProvider implements ActuatorProvider {
  readonly name: string;
  private readonly o: AwsProviderConfig;
  private readonly pool: AwsClientPool;

  constructor(options: AwsProviderOptions) {
    this.o = parseAwsOptions(options);
    this.name = this.o.name;
    this.pool = new AwsClientPool({
      maxAttempts: this.o.sdkMaxAttempts,
      ...(this.o.endpoint ? { endpoint: this.o.endpoint } : {}),
    });
  }

  accepts(c: ActuatorCommand): boolean {
    return (
      c.source === 'failover' &&
      c.command.type !== 'ABORT' &&
      !c.command.dryRun &&
      this.o.regions[c.command.primaryRegion] !== undefined
    );
  }

  private context(cmd: FailoverCommand, ctx: ActuationContext): StepContext {
    const region = this.o.regions[cmd.primaryRegion];
    if (!region) throw permanentError(`no AWS mapping for primary region ${cmd.primaryRegion}`);
    if (region.shadowRegion && cmd.shadowRegion !== region.shadowRegion) {
      throw permanentError(
        `command names shadow region ${cmd.shadowRegion}, the AWS mapping of ${cmd.primaryRegion} is for ${region.shadowRegion}`,
      );
    }
    return {
      cmd,
      region,
      clients: this.pool.in(region.awsRegion),
      clientsIn: (awsRegion) => this.pool.in(awsRegion),
      route53: this.pool.route53(),
      signal: ctx.signal,
      readyTimeoutMs: this.o.readyTimeoutMs,
      pollIntervalMs: this.o.pollIntervalMs,
    };
  }

  async failoverStep(cmd: FailoverCommand, ctx: ActuationContext): Promise<Outcome> {
    const s = this.context(cmd, ctx);
    switch (cmd.type) {
      case 'LAUNCH_LEVEL':
        return launch(s);
      case 'CONFIGURE_NETWORKING':
        return configureNetworking(s);
      case 'REDIRECT_TRAFFIC':
        return redirect(s);
      case 'START_REPLICATION':
        return startReplication(s);
      case 'ABORT':
        throw permanentError('ABORT is not carried out by the AWS actuator');
    }
  }

  async close(): Promise<void> {
    this.pool.close();
  }
}
