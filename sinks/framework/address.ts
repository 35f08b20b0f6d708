/** `host:port` parsing shared by the providers (IPv6 literals in brackets: `[::1]:6379`). */
import { permanentError } from './errors.js';

export interface HostPort {
  host: string;
  port: number;
}

export function parseHostPort(value: string, what: string, defaultPort?: number): HostPort {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(value) ?? /^([^:]+)(?::(\d+))?$/.exec(value);
  const host = m?.[1];
  const port = m?.[2] !== undefined ? Number(m[2]) : defaultPort;
  if (!host || port === undefined || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw permanentError(`${what} "${value}" is not host:port`, { what });
  }
  return { host, port };
}

export function formatHostPort(a: HostPort): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** The host part of `host[:port]` (the port, if any, does not matter to DNS). */
export function hostOf(value: string): string {
  return parseHostPort(value, 'address', 1).host;
}
