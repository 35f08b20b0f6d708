import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apiSettingsFor, connectionFor, loadRunConfig, parseRunConfig } from '../../../cli/run/config-loader.js';
import { tuningOf } from '../../../cli/run/streams-apps.js';
import { ConfigError } from '../../../streams/runtime/errors.js';

const EXAMPLE = 'examples/foreshadow.yaml';

/** The error's problem lines (file:line: path: message). */
function problems(text: string): string[] {
  try {
    parseRunConfig(text, 'f.yaml');
  } catch (err: unknown) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).context.problems as string[];
  }
  throw new Error('expected the configuration to be refused');
}

describe('foreshadow.yaml', () => {
  it('the example validates, with its actuators, thresholds and per-group guarantees', () => {
    const { config, providers } = loadRunConfig(EXAMPLE);
    expect([...providers]).toEqual([
      ['redis', 'redis'],
      ['haproxy', 'haproxy'],
    ]);
    expect(config.shadows).toMatchObject({ enterThreshold: 0.6, exitThreshold: 0.3, maxConcurrentShadows: 50 });
    expect(config.risk).toMatchObject({ horizonMs: 1_800_000, critical: 0.6 });
    expect(config.operability).toMatchObject({ host: '0.0.0.0', port: 9464 });
    expect(config.api).toMatchObject({ host: '0.0.0.0', port: 8088 });
    expect(tuningOf('failure-risk', config)).toEqual({ guarantee: 'at-least-once', commitIntervalMs: 500 });
    // The app's own entry wins over its group's.
    expect(tuningOf('shadow-manager', config)).toEqual({ guarantee: 'exactly-once', commitIntervalMs: 10 });
    expect(tuningOf('failover-orchestrator', config)).toEqual({ guarantee: 'exactly-once', commitIntervalMs: 100 });
  });

  it('an empty file is every default', () => {
    const { config } = parseRunConfig('', 'empty.yaml');
    expect(config).toMatchObject({ startAt: 'earliest', idSuffix: '', ensureCatalogue: true, actuators: {} });
    expect(tuningOf('metric-ingest', config).guarantee).toBe('at-least-once');
  });

  it('names the field and the line of every problem, all at once', () => {
    const text = [
      'stateDir: /var/lib/foreshadow', // 1
      'shadows:', // 2
      '  enterThreshold: 1.5', // 3
      '  exitTreshold: 0.2', // 4: misspelt
      'risk:', // 5
      '  horizonMs: -1', // 6
      'apps:', // 7
      '  host-health: { guarantee: maybe-once }', // 8
      'actuators:', // 9
      '  haproxy:', // 10
      '    options:', // 11
      '      runtimeAPI: /run/haproxy.sock', // 12: misspelt (runtimeApi itself is optional: region steps need none)
      '  cache:', // 13: not a provider kind, no provider
      '    options: {}', // 14
      'operability: { port: 99999 }', // 15
    ].join('\n');
    const p = problems(text);
    const expected: [number, string][] = [
      [3, 'shadows.enterThreshold'],
      [4, 'shadows.exitTreshold'],
      [6, 'risk.horizonMs'],
      [8, 'apps.host-health.guarantee'],
      [12, 'actuators.haproxy.options'],
      [13, 'actuators.cache.provider'],
      [15, 'operability.port'],
    ];
    for (const [line, path] of expected)
      expect(
        p.some((x) => x.startsWith(`f.yaml:${line}: ${path}`)),
        `${line} ${path}\n${p.join('\n')}`,
      ).toBe(true);
    expect(p.find((x) => x.includes('exitTreshold'))).toMatch(/unknown key/);
    expect(p.find((x) => x.includes('actuators.cache.provider'))).toMatch(/not a provider kind/);
    // In file order.
    const lines = p.map((x) => Number(/^f\.yaml:(\d+):/.exec(x)?.[1]));
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it('refuses hysteresis the wrong way round and shadow ports on a non-Redis actuator', () => {
    const p = problems(
      'shadows: { enterThreshold: 0.3, exitThreshold: 0.5 }\nactuators:\n  haproxy:\n    options: { runtimeApi: /s }\n    shadowPorts: auto\n',
    );
    expect(p.some((x) => /^f\.yaml:1: shadows: exitThreshold must be below enterThreshold/.test(x))).toBe(true);
    expect(p.some((x) => /^f\.yaml:5: actuators\.haproxy\.shadowPorts: only a redis actuator/.test(x))).toBe(true);
  });

  it('risk emission on material change: accepted below the heartbeat timeout, refused at or above it', () => {
    const { config } = parseRunConfig('risk: { emitEveryMs: 20000 }\n', 'f.yaml');
    expect(config.risk).toEqual({ emitEveryMs: 20_000 });
    const p = problems('shadows: { heartbeatIntervalMs: 5000 }\nrisk:\n  emitEveryMs: 20000\n');
    expect(p).toEqual([
      expect.stringMatching(
        /^f\.yaml:3: risk\.emitEveryMs: must be below the shadow manager's heartbeat timeout .*15000 ms/,
      ),
    ]);
  });

  it('safety controls: mode, blast-radius limits and the region approval gate, checked with lines', () => {
    const { config } = loadRunConfig(EXAMPLE);
    expect(config.shadows).toMatchObject({
      mode: 'act',
      maxPromotionsPerMinute: 60,
      maxPromotionsPerMinutePerRegion: 20,
    });
    expect(config.failover).toEqual({ mode: 'act', autoRegionFailover: false });
    const p = problems(
      [
        'shadows:', // 1
        '  mode: adviese', // 2
        '  maxPromotionsPerMinute: 0', // 3
        '  maxPromotionsPerMinutePerRegion: 20', // 4
        'failover:', // 5
        '  mode: act', // 6
        '  autoRegionFailover: "yes"', // 7
        '  autoFailover: true', // 8: the old name
      ].join('\n'),
    );
    expect(p.find((x) => x.startsWith('f.yaml:2: shadows.mode'))).toMatch(/act.*advise/);
    expect(p.find((x) => x.startsWith('f.yaml:3: shadows.maxPromotionsPerMinute:'))).toMatch(/>0/);
    expect(p.find((x) => x.startsWith('f.yaml:7: failover.autoRegionFailover'))).toMatch(/boolean/);
    expect(p).toContain('f.yaml:8: failover.autoFailover: unknown key');
    // The cross-field check (zod runs it once the fields themselves are valid).
    expect(problems('shadows:\n  maxPromotionsPerMinute: 10\n  maxPromotionsPerMinutePerRegion: 20\n')).toEqual([
      'f.yaml:3: shadows.maxPromotionsPerMinutePerRegion: maxPromotionsPerMinutePerRegion must not exceed maxPromotionsPerMinute',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(() => parseRunConfig('shadows:\n  enterThreshold: 0.5\n  enterThreshold: 0.6\n', 'broken.yaml')).toThrow(
      /broken\.yaml:3: Map keys must be unique/,
    );
  });

  it('takes the cluster from the file unless the environment sets it; the SASL password only from the environment', () => {
    const { config } = loadRunConfig(EXAMPLE);
    const fromFile = connectionFor(config, {});
    expect(fromFile.brokers).toEqual([
      'kafka-1.example.internal:9092',
      'kafka-2.example.internal:9092',
      'kafka-3.example.internal:9092',
    ]);
    expect(fromFile.registryUrl).toBe('http://schema-registry.example.internal:8081');
    expect(fromFile.stateDir).toBe('/var/lib/foreshadow');
    const fromEnv = connectionFor(config, { KAFKA_BROKERS: '127.0.0.1:9092', FORESHADOW_STATE_DIR: '/tmp/s' });
    expect(fromEnv.brokers).toEqual(['127.0.0.1:9092']);
    expect(fromEnv.stateDir).toBe('/tmp/s');
    const sasl = parseRunConfig(
      'cluster:\n  brokers: [k:9093]\n  sasl: { mechanism: scram-sha-512, username: fs, passwordEnv: FS_PW }\n  tls: { caFile: /ca.pem }\n',
    ).config;
    expect(() => connectionFor(sasl, {})).toThrow(
      /cluster\.sasl\.passwordEnv: the environment variable FS_PW is not set/,
    );
    expect(connectionFor(sasl, { FS_PW: 's3cret' })).toMatchObject({
      sasl: { mechanism: 'scram-sha-512', username: 'fs', password: 's3cret' },
      ssl: { caFile: '/ca.pem' },
    });
  });

  it('API settings: the file, API_* variables first', () => {
    const hash = 'a'.repeat(64);
    const { config } = parseRunConfig(`api:\n  host: 0.0.0.0\n  port: 9000\n  tokens: ["ops:operate:${hash}"]\n`);
    expect(apiSettingsFor(config, {})).toMatchObject({ host: '0.0.0.0', port: 9000, tokens: [{ principal: 'ops' }] });
    expect(apiSettingsFor(config, { API_PORT: '9100' }).port).toBe(9100);
    expect(() => parseRunConfig('api:\n  tokens: ["ops:operate:not-a-hash"]\n')).toThrow(/api\.tokens\[0\]/);
  });

  it('the example documents every top-level section it uses', () => {
    const text = readFileSync(EXAMPLE, 'utf8');
    for (const key of ['cluster', 'stateDir', 'startAt', 'operability', 'apps', 'risk', 'shadows', 'actuators', 'api'])
      expect(text).toMatch(new RegExp(`^${key}:`, 'm'));
  });
});
