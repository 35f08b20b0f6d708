import { describe, expect, it } from 'vitest';
import { APP_GROUPS, STREAMS_APP_NAMES, selectApps } from '../../../cli/run/app-names.js';

describe('--apps', () => {
  it('groups are the documented sets', () => {
    expect(APP_GROUPS['host-health']).toEqual(['metric-ingest', 'host-baseline', 'failure-risk']);
    expect(APP_GROUPS.regional).toEqual(['capacity-fingerprint', 'dependency-map', 'shadow-region', 'region-health']);
    expect(APP_GROUPS.shadows).toEqual(['shadow-manager', 'failover-orchestrator']);
  });

  it('expands groups, actuators and all, in pipeline order, each once', () => {
    expect(selectApps('host-health,actuators:redis,api', ['redis', 'haproxy'])).toEqual([
      'metric-ingest',
      'host-baseline',
      'failure-risk',
      'actuators:redis',
      'api',
    ]);
    expect(selectApps('api,shadows,shadow-manager', [])).toEqual(['shadow-manager', 'failover-orchestrator', 'api']);
    expect(selectApps('actuators', ['redis', 'haproxy'])).toEqual(['actuators:redis', 'actuators:haproxy']);
    const all = selectApps('all', ['redis']);
    expect(all).toEqual([...STREAMS_APP_NAMES, 'actuators:redis', 'api']);
  });

  it('refuses unknown names and unconfigured actuators, listing what exists', () => {
    expect(() => selectApps('host-health,risk', ['redis'])).toThrow(/unknown "risk"; known: all, host-health/);
    expect(() => selectApps('actuators:dns', ['redis'])).toThrow(/unknown "actuators:dns".*actuators:redis/);
    expect(() => selectApps(' , ', [])).toThrow(/names no app/);
  });
});
