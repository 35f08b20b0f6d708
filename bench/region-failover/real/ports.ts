/**
 * A block of free ports for the drill. Services listen on their own 127.1.0.x / 127.2.0.x
 * addresses, so only a wildcard listener (0.0.0.0:port) could take one of their ports: a block
 * is free when every port in it binds on 127.0.0.1 too.
 */
import { createServer } from 'node:net';

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The first port of `span` consecutive free ports, from a random start in 20000–59999. */
export async function freeBasePort(span = 50): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 400) * 100;
    const free = await Promise.all(Array.from({ length: span }, (_, i) => bindable(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no block of ${span} free ports found`);
}
