// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are connector-config placeholders, not templates
import { describe, expect, it } from 'vitest';
import { listConnectorFiles, loadConnector, substituteEnv } from '../../connectors/config.js';
import { connectSchemaFor } from '../../connectors/json-envelope.js';

describe('connector config substitution', () => {
  it('substitutes ${VAR} and ${VAR:-default}, leaves worker-side ${env:VAR} alone', () => {
    expect(substituteEnv('${A}-${B:-b}-${env:SECRET}', { A: 'a' })).toBe('a-b-${env:SECRET}');
  });

  it('reports every missing variable at once', () => {
    expect(() => substituteEnv('${X} ${Y} ${Z:-z}', {})).toThrow(/X, Y/);
  });

  it('keeps the JDBC password out of the substituted config', async () => {
    expect(await listConnectorFiles()).toEqual([
      'jdbc-sink-failover-events',
      'jdbc-sink-shadow-state',
      'metrics-file-source',
    ]);
    const def = await loadConnector('jdbc-sink-shadow-state', {
      FORESHADOW_JDBC_URL: 'jdbc:postgresql://db/x',
      FORESHADOW_JDBC_PASSWORD: 'hunter2',
    });
    expect(def.name).toBe('foreshadow-jdbc-sink-shadow-state');
    expect(def.config['connection.password']).toBe('${env:FORESHADOW_JDBC_PASSWORD}');
    expect(JSON.stringify(def)).not.toContain('hunter2');
  });
});

describe('JSON-with-schemas envelope from the Avro schemas', () => {
  it('maps Avro types to Connect types', () => {
    const s = connectSchemaFor('shadow-state');
    const field = (n: string) => s.fields?.find((f) => f.field === n);
    expect(s.type).toBe('struct');
    expect(field('state')).toMatchObject({ type: 'string', optional: false });
    expect(field('lagBytes')).toMatchObject({ type: 'int64', optional: true });
    expect(field('updatedAt')).toMatchObject({ type: 'int64', name: 'org.apache.kafka.connect.data.Timestamp' });
    expect(field('priority')).toMatchObject({ type: 'double' });
    expect(field('attempts')).toMatchObject({ type: 'int32' });
  });

  it('carries Avro defaults, so a payload without a later-added field still converts', () => {
    const s = connectSchemaFor('failover-event');
    const field = (n: string) => s.fields?.find((f) => f.field === n);
    expect(field('advisory')).toMatchObject({ type: 'boolean', optional: false, default: false });
    expect(field('detail')).toMatchObject({ type: 'string', default: '' });
    expect(field('timestamp')).not.toHaveProperty('default');
  });
});
