// Smoke check of the local schema registry through the same npm client the
// pipeline uses. Exits non-zero on the first failed expectation.
//
//   node stack/registry/probe.mjs                       # full check
//   node stack/registry/probe.mjs --expect-id 1 --decode-hex 00000000...
//       # after a registry restart: the schema must still be there with the
//       # same id, and bytes encoded before the restart must still decode.
//
// Env: FORESHADOW_REGISTRY_URL (default http://127.0.0.1:${FORESHADOW_REGISTRY_PORT:-8081}/apis/ccompat/v7)
import { strict as assert } from 'node:assert';
import { parseArgs } from 'node:util';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';

const { values: args } = parseArgs({
  options: { 'expect-id': { type: 'string' }, 'decode-hex': { type: 'string' } },
});
const port = process.env.FORESHADOW_REGISTRY_PORT ?? '8081';
const base = process.env.FORESHADOW_REGISTRY_URL ?? `http://127.0.0.1:${port}/apis/ccompat/v7`;
const subject = 'probe-value';
const CT = 'application/vnd.schemaregistry.v1+json';

const v1 = {
  type: 'record',
  name: 'Probe',
  namespace: 'foreshadow.probe',
  fields: [
    { name: 'host', type: 'string' },
    { name: 'score', type: 'double' },
  ],
};
// BACKWARD-incompatible: a new reader field with no default cannot read old data.
// ('zone' appears in no registered version, so this stays incompatible on re-runs.)
const v2Bad = { ...v1, fields: [...v1.fields, { name: 'zone', type: 'string' }] };
// BACKWARD-compatible: same new field, but with a default.
const v2Good = { ...v1, fields: [...v1.fields, { name: 'region', type: 'string', default: 'unknown' }] };

async function rest(method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { 'Content-Type': CT, Accept: CT },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

const log = (...a) => console.log('[probe]', ...a);
const registry = new SchemaRegistry({ host: base });

// After a restart: check state survived before touching anything.
if (args['expect-id'] !== undefined) {
  const want = Number(args['expect-id']);
  const subjects = await rest('GET', '/subjects');
  assert.equal(subjects.status, 200);
  assert.ok(
    subjects.json.includes(subject),
    `subject ${subject} missing after restart: ${JSON.stringify(subjects.json)}`,
  );
  const v = await rest('GET', `/subjects/${subject}/versions/1`);
  assert.equal(v.status, 200, JSON.stringify(v.json));
  assert.equal(v.json.id, want, `id changed across restart: ${v.json.id} != ${want}`);
  const byId = await rest('GET', `/schemas/ids/${want}`);
  assert.equal(byId.status, 200, JSON.stringify(byId.json));
  log(
    `after restart: ${subject} v1 still has id ${want}; versions=${JSON.stringify((await rest('GET', `/subjects/${subject}/versions`)).json)}`,
  );
  const cfg = await rest('GET', `/config/${subject}`);
  log(`after restart: config ${JSON.stringify(cfg.json)}`);
  if (args['decode-hex']) {
    const decoded = await registry.decode(Buffer.from(args['decode-hex'], 'hex'));
    assert.deepEqual({ ...decoded }, { host: 'broker-1', score: 0.25 });
    log('after restart: pre-restart bytes decode to', JSON.stringify(decoded));
  }
}

// 1. Register v1 through the client (idempotent: same schema -> same id).
const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject });
log(`registered ${subject} v1 -> id ${id}`);
if (args['expect-id'] !== undefined) assert.equal(id, Number(args['expect-id']));

// 2. Encode + decode round trip (Confluent wire format: magic 0, 4-byte id, Avro body).
const record = { host: 'broker-1', score: 0.25 };
const bytes = await registry.encode(id, record);
assert.equal(bytes[0], 0);
assert.equal(bytes.readInt32BE(1), id);
const fresh = new SchemaRegistry({ host: base }); // empty cache: decode must fetch by id
const back = await fresh.decode(bytes);
assert.deepEqual({ ...back }, record); // avsc returns a record-class instance
log(`encode/decode ok, ${bytes.length} bytes, hex=${bytes.toString('hex')}`);

// 3. Compatibility BACKWARD on the subject via REST.
const put = await rest('PUT', `/config/${subject}`, { compatibility: 'BACKWARD' });
assert.equal(put.status, 200, JSON.stringify(put.json));
const cfg = await rest('GET', `/config/${subject}`);
assert.equal(cfg.status, 200);
assert.equal(cfg.json.compatibilityLevel, 'BACKWARD', JSON.stringify(cfg.json));
log(`config ${subject}: ${JSON.stringify(cfg.json)}`);

// 4. Incompatible change is rejected.
const test = await rest('POST', `/compatibility/subjects/${subject}/versions/latest`, {
  schema: JSON.stringify(v2Bad),
});
log(`compatibility test of v2 (required field, no default): ${test.status} ${JSON.stringify(test.json)}`);
assert.equal(test.status, 200);
assert.equal(test.json.is_compatible, false);

const raw = await rest('POST', `/subjects/${subject}/versions`, { schema: JSON.stringify(v2Bad) });
log(`REST register of incompatible v2: HTTP ${raw.status} ${JSON.stringify(raw.json).slice(0, 200)}`);
assert.equal(raw.status, 409);

let clientErr;
try {
  await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2Bad) }, { subject });
} catch (e) {
  clientErr = e;
}
assert.ok(clientErr, 'client register of incompatible schema should throw');
assert.equal(clientErr.status, 409, String(clientErr));
log(`client register of incompatible v2 rejected: status ${clientErr.status}`);

// 5. A compatible change (new field with default) is still accepted.
const good = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2Good) }, { subject });
assert.notEqual(good.id, id);
log(`registered compatible v2 -> id ${good.id}`);
const latest = await registry.getLatestSchemaId(subject);
assert.equal(latest, good.id);

console.log(JSON.stringify({ ok: true, subject, id, compatibleId: good.id, hex: bytes.toString('hex') }));
