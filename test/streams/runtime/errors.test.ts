import { describe, expect, it } from 'vitest';
import { ACTUATION_UNCLASSIFIED } from '../../../sinks/framework/errors.js';
import {
  ConfigError,
  DeserializationFailedError,
  FencedError,
  ForeshadowError,
  isRetriable,
  NotConnectedError,
  ProcessingFailedError,
  RecordFailedError,
  StaleEpochError,
} from '../../../streams/runtime/errors.js';

const outage = (): ForeshadowError =>
  new ForeshadowError('REGISTRY_FAILED', 'registry unreachable', { retriable: true });

describe('the one retry rule (isRetriable)', () => {
  it('follows causes: a wrapped outage stays retriable', () => {
    expect(isRetriable(outage())).toBe(true);
    expect(isRetriable(new Error('processor failed', { cause: outage() }))).toBe(true);
    expect(
      isRetriable(new ForeshadowError('PROCESSING_FAILED', 'wrapped', { cause: new Error('x', { cause: outage() }) })),
    ).toBe(true);
  });

  it('calls a chain of non-retriable ForeshadowErrors permanent, whatever the caller says of unknown errors', () => {
    const permanent = new ForeshadowError('VALIDATION_FAILED', 'absurd value');
    expect(isRetriable(permanent)).toBe(false);
    expect(isRetriable(permanent, { unclassified: 'retriable' })).toBe(false);
    expect(isRetriable(new Error('wrapper', { cause: permanent }), { unclassified: 'retriable' })).toBe(false);
  });

  it('leaves unclassified errors to the caller: permanent by default, retriable for the actuators', () => {
    for (const unknown of [new TypeError('x is undefined'), 'a thrown string', undefined]) {
      expect(isRetriable(unknown)).toBe(false);
      expect(isRetriable(unknown, { unclassified: 'permanent' })).toBe(false);
      expect(isRetriable(unknown, { unclassified: ACTUATION_UNCLASSIFIED })).toBe(true);
    }
  });

  it('does not follow causes for ever', () => {
    let e: unknown = outage();
    for (let i = 0; i < 6; i++) e = new Error(`layer ${i}`, { cause: e });
    expect(isRetriable(e)).toBe(false);
  });
});

describe('named errors', () => {
  it('carry code, context, cause and their classification', () => {
    const cause = new Error('INVALID_PRODUCER_EPOCH');
    const fenced = new FencedError('task 0_1 fenced', { taskId: '0_1' }, cause);
    expect(fenced).toBeInstanceOf(ForeshadowError);
    expect([fenced.name, fenced.code, fenced.fenced, fenced.retriable, fenced.needsRejoin]).toEqual([
      'FencedError',
      'FENCED',
      true,
      false,
      false,
    ]);
    expect(fenced.context).toEqual({ taskId: '0_1' });
    expect(fenced.cause).toBe(cause);

    const stale = new StaleEpochError('generation 4 is stale', { generation: 4 });
    expect([stale.code, stale.needsRejoin, stale.fenced, stale.retriable]).toEqual(['STALE_EPOCH', true, false, false]);

    const offline = new NotConnectedError('admin client', { app: 'a' });
    expect([offline.code, offline.retriable, offline.message]).toEqual([
      'NOT_CONNECTED',
      true,
      'admin client is not connected',
    ]);
    expect(offline.context).toEqual({ client: 'admin client', app: 'a' });

    expect(new ConfigError('bad', { field: 'x' }).code).toBe('CONFIG_INVALID');
    // The code decides the default classification; an explicit option wins.
    expect(new ForeshadowError('FENCED', 'x').fenced).toBe(true);
    expect(new ForeshadowError('FENCED', 'x', { fenced: false, retriable: true }).fenced).toBe(false);
  });

  it('name the record a handler failed on', () => {
    const error = new Error('negative reading');
    const where = { taskId: '0_0', topic: 'in', partition: 0, offset: '7', processor: 'double' };
    const p = new ProcessingFailedError({ ...where, reason: 'processing', error });
    expect(p).toBeInstanceOf(RecordFailedError);
    expect([p.code, p.retriable, p.cause]).toEqual(['PROCESSING_FAILED', false, error]);
    expect(p.context).toEqual({ ...where, reason: 'processing' });
    expect(p.message).toBe('processor double failed on in-0@7 (Error: negative reading)');
    const d = new DeserializationFailedError({ ...where, processor: 'source-in', reason: 'validation', error });
    expect([d.code, d.failure.reason, d.message]).toEqual([
      'DESERIALIZATION_FAILED',
      'validation',
      'cannot read (validation) in-0@7 (Error: negative reading)',
    ]);
  });
});
