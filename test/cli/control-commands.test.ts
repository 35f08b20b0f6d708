/**
 * The operating commands (pause, resume, maintenance, control, region-failover): strict flags, and
 * what they send through a real HTTP API server (memory publisher, loopback port).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashToken, parseTokens } from '../../api/auth.js';
import { MemoryPublisher } from '../../api/publisher.js';
import { FleetReadModel } from '../../api/read-model.js';
import { buildApiServer } from '../../api/server.js';
import { durationMinutes } from '../../cli/api-client.js';
import { UsageError } from '../../cli/args.js';
import type { CliCommand } from '../../cli/command.js';
import { command as control } from '../../cli/commands/control.js';
import { command as maintenance, maintenanceBody } from '../../cli/commands/maintenance.js';
import { command as pause } from '../../cli/commands/pause.js';
import { command as regionFailover } from '../../cli/commands/region-failover.js';
import { command as resume } from '../../cli/commands/resume.js';
import { blueprint, host, T0 } from '../processors/shadow-manager/fixtures.js';

const TOKEN = 'cli-operator-token-123456';
const NOW = T0 + 3_600_000;
let app: FastifyInstance;
let url = '';
const publisher = new MemoryPublisher();
const model = new FleetReadModel();
const savedToken = process.env.FORESHADOW_API_TOKEN;

beforeAll(async () => {
  model.apply('hosts', 'h1', host('h1', 'a', 'r1'));
  model.apply('blueprints', 'eu-1', blueprint('eu-1', [{ name: 'db', level: 0 }]));
  app = await buildApiServer({
    readModel: model,
    publisher,
    tokens: parseTokens(`ops:operate:${hashToken(TOKEN)}`),
    now: () => NOW,
  });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  process.env.FORESHADOW_API_TOKEN = TOKEN;
});

afterAll(async () => {
  await app.close();
  if (savedToken === undefined) delete process.env.FORESHADOW_API_TOKEN;
  else process.env.FORESHADOW_API_TOKEN = savedToken;
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function output(cmd: CliCommand, args: string[]): Promise<string[]> {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    lines.push(a.map(String).join(' '));
  });
  expect(await cmd.run([...args, '--api-url', url])).toBe(0);
  return lines;
}

describe('flags', () => {
  const commands: Record<string, CliCommand> = {
    pause,
    resume,
    maintenance,
    control,
    'region-failover': regionFailover,
  };
  for (const [name, cmd] of Object.entries(commands)) {
    it(`${name} refuses an unknown flag before doing anything`, async () => {
      await expect(cmd.run(['--definitely-not-a-flag'])).rejects.toThrow(
        new RegExp(`^${name}: unknown argument --definitely-not-a-flag`),
      );
    });
  }

  it('reads durations in minutes, hours and days', () => {
    expect(durationMinutes('90m')).toBe(90);
    expect(durationMinutes('2h')).toBe(120);
    expect(durationMinutes('1d')).toBe(1_440);
    expect(durationMinutes('45')).toBe(45);
    expect(durationMinutes('0')).toBeUndefined();
    expect(durationMinutes('soon')).toBeUndefined();
    expect(durationMinutes('2w')).toBeUndefined();
  });

  it('maintenance set needs one subject, one end and a reason', () => {
    expect(() => maintenanceBody({ duration: '1h', reason: 'x' })).toThrow(/exactly one of --host and --region/);
    expect(() => maintenanceBody({ host: 'h1', reason: 'x' })).toThrow(/exactly one of --duration and --end/);
    expect(() => maintenanceBody({ host: 'h1', duration: '1h' })).toThrow(/--reason is required/);
    expect(() => maintenanceBody({ host: 'h1', duration: 'later', reason: 'x' })).toThrow(UsageError);
    expect(maintenanceBody({ region: 'eu-1', end: '2030-01-01T00:00:00Z', reason: 'x' })).toEqual({
      region: 'eu-1',
      end: '2030-01-01T00:00:00Z',
      reason: 'x',
    });
  });
});

describe('through the API', () => {
  it('pause and resume', async () => {
    expect(await output(pause, ['--reason', 'incident 7'])).toEqual([
      expect.stringMatching(/^pause requested \(request [0-9a-f-]{36}\)/),
    ]);
    expect(await output(resume, [])).toEqual([expect.stringMatching(/^resume requested/)]);
    expect(publisher.requests.slice(-2).map((r) => [r.type, r.reason, r.principal])).toEqual([
      ['PAUSE', 'incident 7', 'ops'],
      ['RESUME', '', 'ops'],
    ]);
    expect(publisher.toAllPartitions).toHaveLength(2);
  });

  it('maintenance set, list and cancel', async () => {
    const set = await output(maintenance, ['set', '--host', 'h1', '--duration', '2h', '--reason', 'kernel 6.8']);
    expect(set[0]).toMatch(/^maintenance window \S+ requested$/);
    expect(publisher.requests.at(-1)).toMatchObject({
      type: 'SET_MAINTENANCE',
      subject: 'h1',
      scope: 'HOST',
      startsAt: NOW,
      endsAt: NOW + 7_200_000,
      reason: 'kernel 6.8',
    });
    expect(await output(maintenance, ['list'])).toEqual(['no maintenance windows']);
    model.apply('controls', 'w-1', {
      controlId: 'w-1',
      kind: 'MAINTENANCE',
      active: true,
      scope: 'HOST',
      subject: 'h1',
      reason: 'kernel 6.8',
      startsAt: NOW,
      endsAt: NOW + 7_200_000,
      principal: 'ops',
      requestId: 'w-1',
      updatedAt: NOW,
    });
    expect(await output(maintenance, ['list', '--host', 'h1'])).toEqual([
      `w-1  host h1  ${new Date(NOW).toISOString()} → ${new Date(NOW + 7_200_000).toISOString()}  by ops: kernel 6.8`,
    ]);
    expect((await output(control, []))[1]).toBe('maintenance windows: 1');
    await output(maintenance, ['cancel', 'w-1']);
    expect(publisher.requests.at(-1)).toMatchObject({ type: 'CANCEL_MAINTENANCE', windowId: 'w-1', subject: 'h1' });
    await expect(maintenance.run(['cancel', 'w-404', '--api-url', url])).rejects.toThrow(
      /refused \(HTTP 404\) NOT_FOUND: no maintenance window w-404/,
    );
  });

  it('region-failover approve is refused unless one is pending, and reports why', async () => {
    await expect(regionFailover.run(['approve', 'eu-1', '--api-url', url])).rejects.toThrow(
      /HTTP 409\) CONFLICT: no failover of eu-1 awaits approval \(status NONE\)/,
    );
    model.apply('regionFailovers', 'eu-1', {
      region: 'eu-1',
      status: 'PENDING_APPROVAL',
      failoverId: '',
      epoch: 0,
      step: '',
      trigger: 'region health FAILED',
      advisory: false,
      since: NOW,
      updatedAt: NOW,
      detail: '',
    });
    expect(await output(regionFailover, ['approve', 'eu-1'])).toEqual([
      expect.stringMatching(/^failover of eu-1 approved/),
    ]);
    expect(publisher.requests.at(-1)).toMatchObject({ type: 'APPROVE_REGION_FAILOVER', subject: 'eu-1' });
    const status = JSON.parse((await output(regionFailover, ['status', 'eu-1'])).join('\n'));
    expect(status).toMatchObject({ region: 'eu-1', status: 'PENDING_APPROVAL' });
  });

  it('needs the token from the environment', async () => {
    delete process.env.FORESHADOW_API_TOKEN;
    try {
      await expect(pause.run(['--api-url', url])).rejects.toThrow(/FORESHADOW_API_TOKEN is not set/);
    } finally {
      process.env.FORESHADOW_API_TOKEN = TOKEN;
    }
  });
});
