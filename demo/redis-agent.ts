/**
 * The Redis actuator as the demo runs it: every demo "host" is a data directory on this machine,
 * so a shadow needs a loopback port. The shadow manager's CREATE names the target host but leaves
 * the address to the host's agent (it cannot know which ports are free there); this wrapper is that
 * agent's port allocation: it fills `targetAddress` of a CREATE with a free port — the same one on
 * every retry of the same shadow — and hands everything else to the Redis provider unchanged.
 */
import type {
  ActuationContext,
  ActuatorCommand,
  ActuatorProvider,
  Outcome,
  ShadowCommand,
} from '../sinks/framework/types.js';
import { freePort } from './real-processes.js';

export class ShadowPortAssigner implements ActuatorProvider {
  readonly name: string;
  private readonly ports = new Map<string, number>();

  constructor(
    private readonly inner: ActuatorProvider,
    private readonly hosts: Record<string, { bindAddress: string }>,
  ) {
    this.name = inner.name;
  }

  accepts(c: ActuatorCommand): boolean {
    return this.inner.accepts(c);
  }

  private async withAddress(cmd: ShadowCommand): Promise<ShadowCommand> {
    if (cmd.targetAddress !== '') return cmd;
    const key = `${cmd.resourceId}@${cmd.targetHost}#${cmd.epoch}`;
    let port = this.ports.get(key);
    if (port === undefined) {
      port = await freePort();
      this.ports.set(key, port);
    }
    const bind = this.hosts[cmd.targetHost]?.bindAddress ?? '127.0.0.1';
    return { ...cmd, targetAddress: `${bind}:${port}` };
  }

  async createShadow(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome> {
    return this.inner.createShadow!(await this.withAddress(cmd), ctx);
  }

  async reportSync(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome> {
    return this.inner.reportSync!(cmd, ctx);
  }

  async promote(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome> {
    return this.inner.promote!(cmd, ctx);
  }

  async retire(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome> {
    return this.inner.retire!(cmd, ctx);
  }

  async fence(cmd: ShadowCommand, ctx: ActuationContext): Promise<Outcome> {
    return this.inner.fence!(cmd, ctx);
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}
