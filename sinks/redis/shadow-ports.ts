/**
 * The port half of a Redis host agent. The shadow manager's CREATE names the target host but leaves
 * the address to the host's agent (it cannot know which ports are free there); this wrapper fills
 * `targetAddress` of a CREATE with a port that is free on the host's bind address, the same one on
 * every retry of the same shadow (resource, host, epoch), and hands everything else to the Redis
 * provider unchanged. Ports come from a configured range, or from the OS (`auto`).
 */
import { createServer } from 'node:net';
import { transientError } from '../framework/errors.js';
import type {
  ActuationContext,
  ActuatorCommand,
  ActuatorProvider,
  Outcome,
  ShadowCommand,
} from '../framework/types.js';

export type ShadowPortRange = 'auto' | { from: number; to: number };

/** Resolves with the port bound (0: the OS picks), or undefined if it is taken. */
function tryListen(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, host, () => {
      const addr = srv.address();
      const bound = typeof addr === 'object' && addr ? addr.port : undefined;
      srv.close(() => resolve(bound));
    });
  });
}

export class ShadowPortAssigner implements ActuatorProvider {
  readonly name: string;
  private readonly ports = new Map<string, number>();

  constructor(
    private readonly inner: ActuatorProvider,
    private readonly hosts: Record<string, { bindAddress?: string }>,
    private readonly range: ShadowPortRange = 'auto',
  ) {
    this.name = inner.name;
  }

  accepts(c: ActuatorCommand): boolean {
    return this.inner.accepts(c);
  }

  private async pick(bind: string): Promise<number> {
    if (this.range === 'auto') {
      const port = await tryListen(bind, 0);
      if (port !== undefined) return port;
    } else {
      const taken = new Set(this.ports.values());
      for (let p = this.range.from; p <= this.range.to; p++) {
        if (taken.has(p)) continue;
        if ((await tryListen(bind, p)) !== undefined) return p;
      }
    }
    throw transientError(`no free shadow port on ${bind} (${JSON.stringify(this.range)})`);
  }

  private async withAddress(cmd: ShadowCommand): Promise<ShadowCommand> {
    if (cmd.targetAddress !== '') return cmd;
    const bind = this.hosts[cmd.targetHost]?.bindAddress ?? '127.0.0.1';
    const key = `${cmd.resourceId}@${cmd.targetHost}#${cmd.epoch}`;
    let port = this.ports.get(key);
    if (port === undefined) {
      port = await this.pick(bind);
      this.ports.set(key, port);
    }
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

  /** Looks at the address this agent gave the shadow (a CREATE's own command has none). */
  async reconcile(c: ActuatorCommand, ctx: ActuationContext): Promise<Outcome | undefined> {
    if (!this.inner.reconcile) return undefined;
    if (c.source !== 'shadow') return this.inner.reconcile(c, ctx);
    return this.inner.reconcile({ source: 'shadow', command: await this.withAddress(c.command) }, ctx);
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}
