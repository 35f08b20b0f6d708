/**
 * The region actuator's logic with in-memory members (unit test: the members' real work is tested
 * against the real programs in the providers' own tests and the region drill): one outcome per
 * command, launches split by service, unknown services and permanent failures surfaced, dry runs
 * checked but not acted on.
 */
import { describe, expect, it } from 'vitest';
import { permanentError, transientError } from '../../../sinks/framework/errors.js';
import type { FailoverCommand, Outcome } from '../../../sinks/framework/types.js';
import { mergeOutcomes } from '../../../sinks/region/outcomes.js';
import { type RegionMember, RegionProvider } from '../../../sinks/region/region-provider.js';
import { ForeshadowError } from '../../../streams/runtime/errors.js';
import { directContext, failoverCommand } from '../support.js';

/** The error a call rejects with (a test failure if it resolves). */
async function rejection(p: Promise<unknown>): Promise<ForeshadowError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ForeshadowError)) throw new Error(`expected a ForeshadowError, got ${String(err)}`);
  return err;
}

function member(name: string, services: string[], act: (cmd: FailoverCommand) => Outcome | Error = () => ({})) {
  const calls: FailoverCommand[] = [];
  const m: RegionMember = {
    name,
    accepts: () => true,
    ownsService: (s, region) => region === 'eu-2' && services.includes(s),
    failoverStep: async (cmd) => {
      calls.push(cmd);
      const r = act(cmd);
      if (r instanceof Error) throw r;
      return r;
    },
  };
  return { m, calls };
}

const svc = (service: string) => ({ service, instances: 1, cpuPerInstance: 1, memoryMbPerInstance: 1, configRef: '' });

describe('region actuator', () => {
  it('hands a launch to the members running its services, and reports once', async () => {
    const db = member('postgres', ['db'], () => ({ address: '10.0.0.1:5432', detail: 'promoted' }));
    const cache = member('redis', ['cache'], () => ({ address: '10.0.0.2:6379', detail: 'started' }));
    const dns = member('dns', []);
    const p = new RegionProvider([db.m, cache.m, dns.m]);
    const out = await p.failoverStep(
      failoverCommand({ type: 'LAUNCH_LEVEL', services: [svc('db'), svc('cache')] }),
      directContext(),
    );
    expect(out).toEqual({ address: '10.0.0.1:5432,10.0.0.2:6379', detail: 'postgres: promoted; redis: started' });
    expect(db.calls).toHaveLength(1);
    expect(cache.calls).toHaveLength(1);
    expect(dns.calls).toHaveLength(0);
  });

  it('gives every member the other steps', async () => {
    const a = member('postgres', ['db']);
    const b = member('dns', [], () => ({ detail: '3 records moved' }));
    const out = await new RegionProvider([a.m, b.m]).failoverStep(
      failoverCommand({ type: 'REDIRECT_TRAFFIC' }),
      directContext(),
    );
    expect(out.detail).toBe('dns: 3 records moved');
    expect(a.calls).toHaveLength(1);
    expect(b.calls).toHaveLength(1);
  });

  it('fails permanently on a service no member runs, before acting at all', async () => {
    const a = member('postgres', ['db']);
    const p = new RegionProvider([a.m]);
    const err = await rejection(
      p.failoverStep(failoverCommand({ type: 'LAUNCH_LEVEL', services: [svc('db'), svc('search')] }), directContext()),
    );
    expect(err.retriable).toBe(false);
    expect(err.message).toBe('no actuator runs search in region eu-2');
    expect(a.calls).toHaveLength(0);
  });

  it('is transient when every failure is, permanent when one is, naming the members', async () => {
    const ok = member('redis', ['cache']);
    const flaky = member('haproxy', ['lb'], () => transientError('not serving yet'));
    const t = await rejection(
      new RegionProvider([ok.m, flaky.m]).failoverStep(
        failoverCommand({ type: 'LAUNCH_LEVEL', services: [svc('cache'), svc('lb')] }),
        directContext(),
      ),
    );
    expect(t.retriable).toBe(true);
    expect(t.message).toContain('haproxy: ForeshadowError: not serving yet');
    const broken = member('postgres', ['db'], () => permanentError('permission denied'));
    const p = await rejection(
      new RegionProvider([flaky.m, broken.m]).failoverStep(
        failoverCommand({ type: 'LAUNCH_LEVEL', services: [svc('lb'), svc('db')] }),
        directContext(),
      ),
    );
    expect(p.retriable).toBe(false);
    expect(p.message).toContain('postgres: ForeshadowError: permission denied');
  });

  it('checks a drill (dryRun) without acting', async () => {
    const a = member('postgres', ['db']);
    const out = await new RegionProvider([a.m]).failoverStep(
      failoverCommand({ type: 'LAUNCH_LEVEL', dryRun: true, services: [svc('db')] }),
      directContext(),
    );
    expect(out.detail).toBe('dry run of LAUNCH_LEVEL: postgres would act');
    expect(a.calls).toHaveLength(0);
  });

  it('merges outcomes: a refusal for a newer epoch anywhere refuses the step', () => {
    expect(
      mergeOutcomes([
        { member: 'a.test', outcome: { address: '10.0.0.1', detail: 'moved' } },
        { member: 'b.test', outcome: { status: 'REJECTED_STALE_EPOCH', detail: 'epoch 9 there' } },
      ]),
    ).toEqual({ status: 'REJECTED_STALE_EPOCH', address: '10.0.0.1', detail: 'a.test: moved; b.test: epoch 9 there' });
    expect(
      mergeOutcomes([
        { member: 'x', outcome: { lagBytes: 5 } },
        { member: 'y', outcome: { lagBytes: 9 } },
      ]),
    ).toEqual({
      lagBytes: 9,
      detail: '',
    });
  });
});
