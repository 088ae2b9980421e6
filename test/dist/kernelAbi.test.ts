import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  CONV_GEOMETRY_FIELDS, HISTOGRAM_SLOT, KERNEL_MEMORY, KERNEL_NAMES, KERNELS, kernelImports, LAYOUT, MAX_PARTS, MOMENTS_SLOT, resultSlot, scratchSlot,
} from '../../src/engine/backend/wasm/kernelAbi';
import { createKernelMemory } from '../../src/engine/backend/wasm/wasmBackend';
import { readRepoBytes, ROOT } from '../repo';

/** A function signature read from the binary: its parameter and result types, by WAT name. */
interface Signature {
  params: string[];
  results: string[];
}

/** What the binary's type, import, function and export sections say (WebAssembly core spec §5.5). */
interface ModuleInterface {
  memoryImport: { module: string; name: string; min: number; max: number | undefined; shared: boolean } | null;
  exports: Map<string, Signature>;
}

const VALUE_TYPES: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128' };

/** Reads a module's interface from its bytes: enough of the binary format for the sections above (others skipped). */
function readInterface(bytes: Uint8Array): ModuleInterface {
  let at = 8; // magic and version
  const byte = (): number => bytes[at++];
  const leb = (): number => {
    let result = 0, shift = 0, b: number;
    do {
      b = byte();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return result;
  };
  const name = (): string => {
    const length = leb();
    at += length;
    return new TextDecoder().decode(bytes.subarray(at - length, at));
  };
  const vector = <T>(item: () => T): T[] => Array.from({ length: leb() }, item);
  const types: Signature[] = [];
  const functionTypes: number[] = [];
  const result: ModuleInterface = { memoryImport: null, exports: new Map() };
  while (at < bytes.length) {
    const id = byte();
    const end = leb() + at;
    if (id === 1) {
      types.push(...vector(() => {
        assert.equal(byte(), 0x60, 'a function type');
        const valueType = (): string => VALUE_TYPES[byte()] ?? 'other';
        return { params: vector(valueType), results: vector(valueType) };
      }));
    } else if (id === 2) {
      vector(() => {
        const [module, field, kind] = [name(), name(), byte()];
        assert.equal(kind, 2, `the only import is a memory, not kind ${kind} (${module}.${field})`);
        const flags = byte();
        const min = leb();
        const max = flags & 1 ? leb() : undefined;
        result.memoryImport = { module, name: field, min, max, shared: (flags & 2) !== 0 };
      });
    } else if (id === 3) {
      functionTypes.push(...vector(leb));
    } else if (id === 7) {
      vector(() => {
        const [exported, kind, index] = [name(), byte(), leb()];
        if (kind === 0) result.exports.set(exported, types[functionTypes[index]]);
      });
    }
    at = end;
  }
  return result;
}

suite('the WebAssembly kernels against their ABI (kernelAbi.ts)', () => {
  const bytes = new Uint8Array(readRepoBytes('dist', 'kernels.wasm'));
  const module = new WebAssembly.Module(bytes);

  test('the module imports the shared memory and nothing else', () => {
    assert.deepEqual(WebAssembly.Module.imports(module), [{ module: KERNEL_MEMORY.module, name: KERNEL_MEMORY.name, kind: 'memory' }]);
    const { memoryImport } = readInterface(bytes);
    assert.deepEqual(memoryImport, { module: KERNEL_MEMORY.module, name: KERNEL_MEMORY.name, min: KERNEL_MEMORY.initialPages, max: KERNEL_MEMORY.maximumPages, shared: KERNEL_MEMORY.shared });
  });

  test('it exports every declared kernel as a function, in the declared order, and nothing else', () => {
    assert.deepEqual(WebAssembly.Module.exports(module), KERNEL_NAMES.map((name) => ({ name, kind: 'function' })));
  });

  test('each kernel takes the declared parameters, of the declared types, and returns nothing', () => {
    const { exports } = readInterface(bytes);
    for (const k of KERNELS) assert.deepEqual(exports.get(k.name), { params: k.params.map((p) => p.type), results: [] }, k.name);
  });

  test('instantiated on the kernels\' memory, each export has the declared arity', () => {
    const instance = new WebAssembly.Instance(module, kernelImports(createKernelMemory()));
    for (const k of KERNELS) {
      const f = instance.exports[k.name];
      assert.equal(typeof f, 'function', k.name);
      assert.equal((f as (...args: number[]) => void).length, k.params.length, k.name);
    }
  });

  test('the declaration is consistent: result parameters exist, parameter names are distinct', () => {
    for (const k of KERNELS) {
      const names = k.params.map((p) => p.name);
      assert.equal(new Set(names).size, names.length, `${k.name}: repeated parameter`);
      if ('result' in k) assert.ok(names.includes(k.result.at), `${k.name}: result slot parameter ${k.result.at}`);
    }
    assert.equal(new Set(KERNEL_NAMES).size, KERNEL_NAMES.length);
  });

  test('the first page\'s regions do not overlap, and every part\'s slot holds its results', () => {
    assert.ok(resultSlot(MAX_PARTS) <= LAYOUT.geometry, 'result slots end before the geometry');
    assert.ok(LAYOUT.geometry + 4 * CONV_GEOMETRY_FIELDS.length <= LAYOUT.scratch, 'the geometry ends before the scratch');
    assert.ok(scratchSlot(MAX_PARTS) <= LAYOUT.heapBase, 'the scratch ends before the heap');
    assert.ok(MOMENTS_SLOT.max + 4 <= LAYOUT.resultSlotBytes, 'moments fit a result slot');
    assert.ok(HISTOGRAM_SLOT.scale + 8 <= HISTOGRAM_SLOT.counts);
  });

  test('dist/kernels.wasm is what the generator writes now', async () => {
    const build = (await import(path.join(ROOT, 'scripts', 'wasm', 'buildKernels.js'))) as { buildKernels(): Promise<Uint8Array> };
    assert.ok(Buffer.from(await build.buildKernels()).equals(bytes), 'dist/kernels.wasm is stale: run `node esbuild.js`');
  });
});
