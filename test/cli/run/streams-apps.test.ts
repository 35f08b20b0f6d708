/**
 * The runner builds each processor with its section of foreshadow.yaml: the safety controls set in
 * the file (advise mode, blast-radius limits, the region approval gate) are the options the
 * processors decide with.
 */
import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../../cli/run/config-loader.js';
import { topologiesOf } from '../../../cli/run/streams-apps.js';
import type { FailoverOrchestratorOptions } from '../../../streams/processors/failover-orchestrator/options.js';
import type { ShadowManagerOptions } from '../../../streams/processors/shadow-manager/options.js';
import type { Topology } from '../../../streams/runtime/topology.js';

/** The validated options a processor node's new instance holds. */
function optionsOf<O>(t: Topology, node: string): O {
  const n = t.node(node);
  if (n?.kind !== 'processor') throw new Error(`${t.applicationId} has no processor ${node}`);
  return (n.supplier() as unknown as { opts: O }).opts;
}

describe('topologiesOf', () => {
  const yaml = [
    'idSuffix: -t1',
    'shadows: { mode: advise, maxPromotionsPerMinute: 12, maxPromotionsPerMinutePerRegion: 4, enterThreshold: 0.7 }',
    'failover: { mode: advise, autoRegionFailover: true }',
  ].join('\n');

  it('gives the shadow manager and the failover orchestrator their sections of the file', async () => {
    const { config } = parseRunConfig(yaml);
    const [manager, ...routers] = await topologiesOf('shadow-manager', config);
    expect(manager!.applicationId).toBe('foreshadow-shadow-manager-t1');
    expect(routers.length).toBeGreaterThan(0);
    expect(optionsOf<ShadowManagerOptions>(manager!, 'shadow-manager')).toMatchObject({
      mode: 'advise',
      maxPromotionsPerMinute: 12,
      maxPromotionsPerMinutePerRegion: 4,
      enterThreshold: 0.7,
      exitThreshold: 0.3,
    });
    const [orchestrator] = await topologiesOf('failover-orchestrator', config);
    expect(optionsOf<FailoverOrchestratorOptions>(orchestrator!, 'failover-orchestrator')).toMatchObject({
      mode: 'advise',
      autoRegionFailover: true,
      startCommands: 'per-wave',
    });
  });

  it("failure risk runs its fleet model's trainer beside the scoring app, on the same model topics", async () => {
    const { config } = parseRunConfig(yaml);
    const [scoring, trainer, ...rest] = await topologiesOf('failure-risk', config);
    expect(rest).toEqual([]);
    expect(scoring!.applicationId).toBe('foreshadow-failure-risk-t1');
    expect(trainer!.applicationId).toBe('foreshadow-failure-risk-t1-trainer');
    // The scoring app's labelled examples are what the trainer learns from.
    const examples = 'foreshadow-failure-risk-t1-risk-examples';
    expect(scoring!.sinks().map((s) => s.spec.topic)).toContain(examples);
    expect(trainer!.sourceTopics()).toEqual([examples]);
    expect(trainer!.sinks().map((s) => s.spec.topic)).toEqual(['foreshadow-failure-risk-t1-risk-model']);
  });

  it('without the sections, the safe defaults: act, 60/20 a minute, region failovers wait for approval', async () => {
    const { config } = parseRunConfig('');
    const [manager] = await topologiesOf('shadow-manager', config);
    expect(optionsOf<ShadowManagerOptions>(manager!, 'shadow-manager')).toMatchObject({
      mode: 'act',
      maxPromotionsPerMinute: 60,
      maxPromotionsPerMinutePerRegion: 20,
    });
    const [orchestrator] = await topologiesOf('failover-orchestrator', config);
    expect(optionsOf<FailoverOrchestratorOptions>(orchestrator!, 'failover-orchestrator')).toMatchObject({
      mode: 'act',
      autoRegionFailover: false,
    });
  });
});
