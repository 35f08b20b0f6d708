import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IDEMPOTENCY_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifySignature,
} from '../../../sinks/webhook/signature.js';
import { WebhookProvider } from '../../../sinks/webhook/webhook-provider.js';
import { ActuatorHarness, failoverCommand, shadowCommand } from '../support.js';

interface Received {
  key: string;
  headers: IncomingHttpHeaders;
  body: { source: string; command: { commandId: string; type: string; resourceId?: string } };
  valid: boolean;
}

describe('webhook actuator (real HTTP receiver verifying HMAC signatures)', () => {
  const secret = randomBytes(24).toString('hex');
  const received: Received[] = [];
  let server: Server;
  let port: number;
  let harness: ActuatorHarness;

  beforeAll(async () => {
    // The user's automation: verifies the signature, then answers according to the resource.
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        const valid = verifySignature(secret, {
          signature: req.headers[SIGNATURE_HEADER] as string | undefined,
          timestamp: req.headers[TIMESTAMP_HEADER] as string | undefined,
          body,
        });
        const parsed = JSON.parse(body) as Received['body'];
        const key = String(req.headers[IDEMPOTENCY_HEADER]);
        received.push({ key, headers: req.headers, body: parsed, valid });
        if (!valid) {
          res.writeHead(401).end('bad signature');
          return;
        }
        const seen = received.filter((r) => r.key === key).length;
        const resource = parsed.command.resourceId ?? '';
        if (resource === 'flaky' && seen === 1) {
          res.writeHead(503).end();
        } else if (resource === 'slow') {
          res.writeHead(202).end();
        } else if (resource === 'broken') {
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ status: 'FAILED', detail: 'no capacity' }));
        } else {
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(
              JSON.stringify({ status: 'SUCCEEDED', address: '10.9.0.7:5432', detail: `done ${parsed.command.type}` }),
            );
        }
      });
    });
    // Port 0: the kernel picks a free port, so no other process can take it in between.
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    port = typeof addr === 'object' && addr ? addr.port : 0;
    process.env.TEST_WEBHOOK_SECRET = secret;
    harness = new ActuatorHarness(
      new WebhookProvider({ url: `http://127.0.0.1:${port}/foreshadow`, secretEnv: 'TEST_WEBHOOK_SECRET' }),
    );
    await harness.start();
  });

  afterAll(async () => {
    await harness?.stop();
    await new Promise((r) => server?.close(r));
  });

  it('posts a signed command once; a redelivered command is answered DUPLICATE and not re-sent', async () => {
    const cmd = shadowCommand({ resourceId: 'db-1', kind: 'postgres', type: 'CREATE', epoch: 2 });
    await harness.send(cmd);
    const r = await harness.result(cmd.commandId);
    expect(r).toMatchObject({
      status: 'SUCCEEDED',
      address: '10.9.0.7:5432',
      detail: 'done CREATE',
      provider: 'webhook',
    });
    const mine = received.filter((x) => x.key === cmd.commandId);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.valid).toBe(true);
    expect(mine[0]?.body).toMatchObject({ source: 'shadow', command: { commandId: cmd.commandId, type: 'CREATE' } });
    expect(JSON.stringify(mine[0]?.headers)).not.toContain(secret);

    await harness.send(cmd);
    expect((await harness.result(cmd.commandId, 'DUPLICATE')).address).toBe('10.9.0.7:5432');
    expect(received.filter((x) => x.key === cmd.commandId)).toHaveLength(1);

    const stale = shadowCommand({ resourceId: 'db-1', kind: 'postgres', type: 'PROMOTE', epoch: 1 });
    await harness.send(stale);
    expect((await harness.result(stale.commandId)).status).toBe('REJECTED_STALE_EPOCH');
    expect(received.filter((x) => x.key === stale.commandId)).toHaveLength(0);
  });

  it('retries a 5xx with the same Idempotency-Key, and maps 202 and FAILED replies', async () => {
    const flaky = shadowCommand({ resourceId: 'flaky', kind: 'postgres', type: 'PROMOTE' });
    await harness.send(flaky);
    const r = await harness.result(flaky.commandId);
    expect(r).toMatchObject({ status: 'SUCCEEDED', attempt: 2 });
    const tries = received.filter((x) => x.key === flaky.commandId);
    expect(tries.map((t) => t.headers['x-foreshadow-delivery-attempt'])).toEqual(['1', '2']);

    const slow = shadowCommand({ resourceId: 'slow', kind: 'postgres', type: 'CREATE' });
    await harness.send(slow);
    expect((await harness.result(slow.commandId, 'IN_PROGRESS')).commandType).toBe('CREATE');

    const broken = shadowCommand({ resourceId: 'broken', kind: 'postgres', type: 'CREATE' });
    await harness.send(broken);
    expect(await harness.result(broken.commandId)).toMatchObject({
      status: 'FAILED',
      retriable: false,
      detail: expect.stringContaining('no capacity'),
    });

    const step = failoverCommand({ type: 'LAUNCH_LEVEL', primaryRegion: 'us-1', level: 1 });
    await harness.sendFailover(step);
    expect((await harness.result(step.commandId)).status).toBe('SUCCEEDED');
    expect(received.find((x) => x.key === step.commandId)?.body.source).toBe('failover');
  });

  it('a receiver rejecting the signature gives a permanent failure', async () => {
    process.env.TEST_WEBHOOK_WRONG = 'not-the-secret';
    const bad = new ActuatorHarness(
      new WebhookProvider({ url: `http://127.0.0.1:${port}/foreshadow`, secretEnv: 'TEST_WEBHOOK_WRONG' }),
    );
    await bad.start();
    try {
      const cmd = shadowCommand({ resourceId: 'db-2', kind: 'postgres', type: 'CREATE' });
      await bad.send(cmd);
      expect(await bad.result(cmd.commandId)).toMatchObject({ status: 'FAILED', retriable: false, attempt: 1 });
      expect(received.filter((x) => x.key === cmd.commandId).map((x) => x.valid)).toEqual([false]);
    } finally {
      await bad.stop();
    }
  });
});
