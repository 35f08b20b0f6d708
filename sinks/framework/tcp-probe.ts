/**
 * The probe for any resource that listens on TCP: a connect, nothing sent. Refused = nothing
 * listens; no answer before the prober's timeout = TIMEOUT. It proves the port is served, not that
 * the service behind it works: providers with a protocol probe (Redis) use that instead.
 */
import { Socket } from 'node:net';
import { parseHostPort } from './address.js';
import { outcomeOfError, type Probe, type ProbeResult, type ProbeTarget } from './probe-types.js';

export class TcpConnectProbe implements Probe {
  readonly method = 'TCP_CONNECT' as const;

  probe(target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
    const { host, port } = parseHostPort(target.address, 'address');
    return new Promise((resolve) => {
      const socket = new Socket();
      const done = (r: ProbeResult): void => {
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve(r);
      };
      const onAbort = (): void => done({ outcome: 'TIMEOUT', detail: 'no connection before the timeout' });
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('error', (err) => done(outcomeOfError(err)));
      socket.connect(port, host, () => done({ outcome: 'OK' }));
    });
  }
}
