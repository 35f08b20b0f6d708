/**
 * RFC 2136 dynamic updates signed with TSIG, carried out by BIND's own `nsupdate` rather than a
 * hand-written TSIG implementation. The script, including the `key` line, goes through stdin, so
 * the secret never appears in argv (visible in ps) or on disk.
 */
import { spawn } from 'node:child_process';
import { permanentError, transientError } from '../framework/errors.js';

export interface TsigKey {
  name: string;
  /** e.g. hmac-sha256 */
  algorithm: string;
  /** base64 secret */
  secret: string;
}

/**
 * A fencing token kept next to the record: a TXT record holding the epoch of the last update. The
 * update is conditional on it still holding `expected` (absent: `undefined`) and sets it to
 * `epoch` in the same message, a compare-and-set the server applies atomically (RFC 2136
 * prerequisites).
 */
export interface EpochFence {
  name: string;
  expected: number | undefined;
  epoch: number;
}

export interface RecordUpdate {
  server: string;
  port: number;
  zone: string;
  key: TsigKey;
  name: string;
  ttl: number;
  type: 'A' | 'AAAA' | 'CNAME';
  value: string;
  fence?: EpochFence;
}

/** The update's prerequisite failed: the epoch record no longer holds what was read. */
export class FenceMoved extends Error {
  constructor(readonly fence: EpochFence) {
    super(`epoch record ${fence.name} changed since it was read (expected ${fence.expected ?? 'none'})`);
    this.name = 'FenceMoved';
  }
}

const absolute = (name: string): string => (name.endsWith('.') ? name : `${name}.`);

function fenceLines(f: EpochFence, ttl: number): string[] {
  const fqdn = absolute(f.name);
  return [
    f.expected === undefined ? `prereq nxrrset ${fqdn} TXT` : `prereq yxrrset ${fqdn} TXT "${f.expected}"`,
    `update delete ${fqdn} TXT`,
    `update add ${fqdn} ${ttl} TXT "${f.epoch}"`,
  ];
}

/** Builds the nsupdate script: one message, so the replacement is atomic on the server. */
export function updateScript(u: RecordUpdate): string {
  const fqdn = absolute(u.name);
  const value = u.type === 'CNAME' && !u.value.endsWith('.') ? `${u.value}.` : u.value;
  return [
    `server ${u.server} ${u.port}`,
    `zone ${u.zone}`,
    `key ${u.key.algorithm}:${u.key.name} ${u.key.secret}`,
    ...(u.fence ? fenceLines(u.fence, u.ttl) : []),
    // A name holds either a CNAME or addresses: clear all three before adding the new one.
    `update delete ${fqdn} A`,
    `update delete ${fqdn} AAAA`,
    `update delete ${fqdn} CNAME`,
    `update add ${fqdn} ${u.ttl} ${u.type} ${value}`,
    'send',
    '',
  ].join('\n');
}

/** Server answers that a retry cannot change (bad key, not authoritative, refused by policy). */
const PERMANENT =
  /(REFUSED|NOTAUTH|NOTZONE|BADKEY|BADSIG|BADTIME|tsig verify failure|FORMERR|YXDOMAIN|NXRRSET|syntax error|bad key|invalid)/i;

export async function nsupdate(u: RecordUpdate, opts: { binary?: string; timeoutMs?: number } = {}): Promise<void> {
  const timeoutS = Math.max(1, Math.round((opts.timeoutMs ?? 5_000) / 1000));
  // -v: TCP, so a lost UDP datagram is not mistaken for a timeout; -t: overall timeout.
  const child = spawn(opts.binary ?? 'nsupdate', ['-v', '-t', String(timeoutS)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', (err) => reject(permanentError(`cannot run nsupdate: ${err.message}`, {}, err)));
    child.on('close', (c) => resolve(c));
    child.stdin.end(updateScript(u));
  });
  if (code === 0) return;
  // A failed prerequisite is answered NXRRSET (expected value gone) or YXRRSET (appeared).
  if (u.fence && /\b(NXRRSET|YXRRSET)\b/.test(output)) throw new FenceMoved(u.fence);
  // nsupdate never echoes the key line, but make sure a secret cannot leak through its output.
  const reason = output.split(u.key.secret).join('[redacted]').trim().split('\n').slice(-3).join(' / ');
  if (PERMANENT.test(output)) throw permanentError(`DNS update of ${u.name} refused: ${reason}`, { zone: u.zone });
  throw transientError(`DNS update of ${u.name} failed: ${reason || `exit ${code}`}`, { zone: u.zone });
}
