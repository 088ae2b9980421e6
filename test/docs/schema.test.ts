import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseNetwork } from '../../src/engine';
import { ACTIVATION_NAMES } from '../../src/engine/math/activation';
import { INIT_ALIASES, INIT_SCHEMES } from '../../src/engine/init/initSpec';
import { LAYER_TYPES } from '../../src/engine/graph/registry';
import { buildNetworkSchema } from '../../src/engine/format/networkSchema';
import { ROOT, readRepoFile } from '../repo';

const schema = JSON.parse(readRepoFile('schemas', 'network.schema.json'));

suite('the JSON schema and the examples', () => {
  test('schemas/network.schema.json is what the ops of the registry build (run `npm run schema` after changing an op)', () => {
    assert.deepEqual(schema, JSON.parse(JSON.stringify(buildNetworkSchema())));
  });

  test('lists the same activations, init schemes and layer types as the engine', () => {
    assert.deepEqual(schema.definitions.activation.enum, [...ACTIVATION_NAMES]);
    assert.deepEqual([...schema.definitions.init.oneOf[1].properties.scheme.enum].sort(), [...INIT_SCHEMES, ...Object.keys(INIT_ALIASES)].sort());
    const types = schema.definitions.layer.oneOf.map((v: { $ref: string }) => schema.definitions[v.$ref.split('/').pop()!].properties.type.const);
    assert.deepEqual(types, [...LAYER_TYPES]);
  });

  test('every property of the schema has a description (editors show it on hover)', () => {
    const missing: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (!node || typeof node !== 'object') return;
      const obj = node as Record<string, unknown>;
      if (obj.properties) {
        for (const [key, value] of Object.entries(obj.properties as Record<string, Record<string, unknown>>)) {
          if (!value.description && !value.$ref) missing.push(`${where}/${key}`);
        }
      }
      for (const [key, value] of Object.entries(obj)) walk(value, `${where}/${key}`);
    };
    walk(schema, '');
    assert.deepEqual(missing, []);
  });

  test('every example parses without a problem and points at the schema', () => {
    const dir = path.join(ROOT, 'examples');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.net.json'));
    assert.ok(files.length >= 9);
    for (const f of files) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      assert.deepEqual(parseNetwork(text).problems, [], f);
      assert.equal(JSON.parse(text).$schema, '../schemas/network.schema.json', f);
    }
  });
});
