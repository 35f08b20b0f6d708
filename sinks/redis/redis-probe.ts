/**
 * The Redis probe: on a fresh connection, PING (is it serving?) then ROLE (is it what it should
 * be?). A primary answering as a replica is WRONG_ROLE: its writes would fail with READONLY. A
 * fresh connection per probe, not a kept one, so every probe also proves the server still accepts
 * connections (a process gone is REFUSED at once; a paused one accepts, then does not answer).
 */
import { Redis } from 'ioredis';
import { parseHostPort } from '../framework/address.js';
import { outcomeOfError, type Probe, type ProbeResult, type ProbeTarget } from '../framework/probe-types.js';

export interface RedisProbeOptions {
  /** Environment variable holding the Redis password (as the Redis actuator's `passwordEnv`). */
  passwordEnv?: string;
}

export class RedisRoleProbe implements Probe {
  readonly method = 'REDIS_ROLE' as const;

  constructor(private readonly options: RedisProbeOptions = {}) {}

  async probe(target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
    const { host, port } = parseHostPort(target.address, 'address', 6379);
    const client = new Redis({
      host,
      port,
      ...(this.options.passwordEnv ? { password: process.env[this.options.passwordEnv] } : {}),
      lazyConnect: true,
      // The prober's own timeout (the abort signal) bounds the probe; no client-side retries,
      // queueing or reconnects that would hide a failure.
      connectTimeout: target.timeoutMs,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      enableReadyCheck: false,
      retryStrategy: () => null,
    });
    // The socket's own error (ECONNREFUSED...) is more telling than the rejected call's.
    let socketError: unknown;
    client.on('error', (err: unknown) => {
      socketError ??= err;
    });
    const aborted = new Promise<ProbeResult>((resolve) => {
      const onAbort = (): void => resolve({ outcome: 'TIMEOUT', detail: 'no answer before the timeout' });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([aborted, this.ask(client, target, () => socketError)]);
    } finally {
      client.disconnect();
    }
  }

  private async ask(client: Redis, target: ProbeTarget, socketError: () => unknown): Promise<ProbeResult> {
    try {
      await client.connect();
      const pong = await client.ping();
      if (pong !== 'PONG') return { outcome: 'ERROR', detail: `PING answered ${String(pong).slice(0, 40)}` };
      const role = (await client.call('ROLE')) as unknown;
      const observed = Array.isArray(role) && typeof role[0] === 'string' ? role[0] : '';
      if (!observed) return { outcome: 'ERROR', detail: 'ROLE answered without a role' };
      if (target.expectedRole && observed !== target.expectedRole) {
        return {
          outcome: 'WRONG_ROLE',
          observedRole: observed,
          detail: `role ${observed}, expected ${target.expectedRole}`,
        };
      }
      return { outcome: 'OK', observedRole: observed };
    } catch (err: unknown) {
      // LOADING, BUSY, NOAUTH...: it answers, but not as a usable server.
      return outcomeOfError(socketError() ?? err);
    }
  }
}
