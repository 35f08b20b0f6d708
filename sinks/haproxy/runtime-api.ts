/**
 * A client of HAProxy's Runtime API (the admin-level stats socket): one command per connection,
 * the socket's non-interactive mode, so no session state can leak between actions. Accepts a Unix
 * socket path or `host:port` (a `stats socket ipv4@...` line).
 */
import { createConnection, type Socket } from 'node:net';
import { formatHostPort, parseHostPort } from '../framework/address.js';
import { permanentError, transientError } from '../framework/errors.js';

export interface ServerState {
  backend: string;
  name: string;
  address: string;
  port: number;
  /** srv_op_state: 0 stopped, 1 starting, 2 running, 3 stopping. */
  opState: number;
  /** srv_admin_state bit field (maintenance / drain flags). */
  adminState: number;
}

// srv_admin_state masks (HAProxy include/haproxy/server-t.h): forced, inherited or DNS-resolution
// maintenance, and forced or inherited drain. 0x04 (CMAINT) only remembers that the config said
// `disabled`; it stays set after `state ready`, so it must not count as maintenance.
const ADMF_MAINT = 0x23;
const ADMF_DRAIN = 0x18;

export function inMaintenance(s: ServerState): boolean {
  return (s.adminState & ADMF_MAINT) !== 0;
}

export function draining(s: ServerState): boolean {
  return (s.adminState & ADMF_DRAIN) !== 0;
}

/** Parses `show servers state <backend>` using its header line, so column additions do not break it. */
export function parseServersState(text: string): ServerState[] {
  const lines = text.split('\n').map((l) => l.trim());
  const header = lines.find((l) => l.startsWith('#'));
  if (!header) return [];
  const cols = header.replace(/^#\s*/, '').split(/\s+/);
  const at = (row: string[], col: string): string => row[cols.indexOf(col)] ?? '';
  return lines
    .filter((l) => l && !l.startsWith('#') && /\s/.test(l))
    .map((l) => l.split(/\s+/))
    .map((row) => ({
      backend: at(row, 'be_name'),
      name: at(row, 'srv_name'),
      address: at(row, 'srv_addr'),
      port: Number(at(row, 'srv_port')),
      opState: Number(at(row, 'srv_op_state')),
      adminState: Number(at(row, 'srv_admin_state')),
    }));
}

/** Runtime API answers that mean the command itself is wrong (no retry will help). */
const PERMANENT_REPLY =
  /^(No such (backend|server)|Unknown command|Permission denied|Require '.*'|Invalid|.*expects)/im;

export class HaproxyRuntimeApi {
  constructor(
    private readonly endpoint: string,
    private readonly timeoutMs = 5_000,
  ) {}

  private open(): Socket {
    if (this.endpoint.startsWith('/')) return createConnection({ path: this.endpoint });
    const a = parseHostPort(this.endpoint, 'HAProxy runtime API address');
    return createConnection({ host: a.host, port: a.port });
  }

  /** Sends one command and returns HAProxy's reply text. */
  command(cmd: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const sock = this.open();
      let out = '';
      const timer = setTimeout(() => {
        sock.destroy();
        reject(transientError(`HAProxy runtime API timed out on "${cmd.split(' ')[0]}"`, { endpoint: this.endpoint }));
      }, this.timeoutMs);
      sock.setEncoding('utf8');
      sock.on('connect', () => sock.write(`${cmd}\n`));
      sock.on('data', (d: string) => {
        out += d;
      });
      sock.on('error', (err) => {
        clearTimeout(timer);
        reject(transientError(`HAProxy runtime API unreachable at ${this.endpoint}: ${err.message}`, {}, err));
      });
      sock.on('close', () => {
        clearTimeout(timer);
        if (PERMANENT_REPLY.test(out)) reject(permanentError(`HAProxy refused "${cmd}": ${out.trim()}`));
        else resolve(out);
      });
    });
  }

  async serversState(backend: string): Promise<ServerState[]> {
    const servers = parseServersState(await this.command(`show servers state ${backend}`));
    if (servers.length === 0) throw permanentError(`HAProxy backend ${backend} has no servers (or does not exist)`);
    return servers;
  }

  async setAddress(backend: string, server: string, host: string, port: number): Promise<void> {
    await this.command(`set server ${backend}/${server} addr ${host} port ${port}`);
  }

  async setState(backend: string, server: string, state: 'ready' | 'drain' | 'maint'): Promise<void> {
    await this.command(`set server ${backend}/${server} state ${state}`);
  }

  async shutdownSessions(backend: string, server: string): Promise<void> {
    await this.command(`shutdown sessions server ${backend}/${server}`);
  }
}

export function describeServer(s: ServerState): string {
  return `${s.backend}/${s.name}=${formatHostPort({ host: s.address, port: s.port })}`;
}
