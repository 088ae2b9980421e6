import type { LayerSpec } from '../format/networkSpec';
import type { NodeOp, SpecOp } from './layerOp';
import type { PlanNode } from './plan';
import { activationLayer } from './ops/activationLayer';
import { attention } from './ops/attention';
import { avgpool2d } from './ops/avgpool2d';
import { batchnorm } from './ops/batchnorm';
import { conv2d } from './ops/conv2d';
import { dense } from './ops/dense';
import { dropout } from './ops/dropout';
import { embedding } from './ops/embedding';
import { flatten } from './ops/flatten';
import { gatedMlp } from './ops/gatedMlp';
import { globalAvgPool } from './ops/globalAvgPool';
import { globalMaxPool } from './ops/globalMaxPool';
import { layernorm } from './ops/layernorm';
import { lmHead } from './ops/lmHead';
import { rmsnorm } from './ops/rmsnorm';
import { maxpool2d } from './ops/maxpool2d';
import { parallelResidual } from './ops/parallelResidual';
import { concatenate } from './ops/concatenate';
import { reshape } from './ops/reshape';
import { positionEmbedding } from './ops/positionEmbedding';
import { repeat } from './ops/repeat';
import { residual } from './ops/residual';
import { scale } from './ops/scale';
import { multiply } from './ops/multiply';
import { toFeatureMap } from './ops/toFeatureMap';
import { toSequence } from './ops/toSequence';
import { classToken } from './ops/classToken';
import { firstToken } from './ops/firstToken';
import { encoder } from './ops/encoder';
import { crossAttention } from './ops/crossAttention';

// The ops, in the order error messages and the schema list them. Adding an op: write its module under ops/ (its spec,
// parse, schema, plan, forward and backward, mean field, cost and findings role), list it here, and run
// `npm run schema` to regenerate schemas/network.schema.json.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each op is typed by its own module; the registry only dispatches
type AnyOp = SpecOp<any> & Partial<NodeOp<any>>;
const OPS: readonly AnyOp[] = [dense, conv2d, residual, repeat, activationLayer, batchnorm, layernorm, rmsnorm, flatten, maxpool2d, avgpool2d, globalAvgPool, globalMaxPool, dropout,
  embedding, positionEmbedding, attention, gatedMlp, parallelResidual, concatenate, multiply, reshape, lmHead, scale, toSequence, toFeatureMap, classToken, firstToken, encoder, crossAttention];

const SPEC_OPS = uniqueBy(OPS, (op) => op.type);
const NODE_OPS = uniqueBy(OPS.filter((op): op is AnyOp & NodeOp => op.forward !== undefined), (op) => op.op);

/** A map by key that refuses a second op with the same key (two modules claiming one type would silently shadow). */
function uniqueBy<T>(ops: readonly T[], key: (op: T) => string): Map<string, T> {
  const map = new Map<string, T>();
  for (const op of ops) {
    if (map.has(key(op))) throw new Error(`two ops in the registry claim '${key(op)}'`);
    map.set(key(op), op);
  }
  return map;
}

/** Every layer type of the file format, in the registry's order. */
export const LAYER_TYPES: readonly string[] = OPS.map((op) => op.type);

/** Other spellings accepted for a layer type (PyTorch's and Keras' names), from every op. */
export const LAYER_TYPE_ALIASES: Readonly<Record<string, string>> = Object.assign({}, ...OPS.map((op) => op.aliases ?? {}));

/** The ops that read layers, in the registry's order (for the schema). */
export function specOps(): readonly SpecOp[] {
  return OPS;
}

/** The ops that run nodes, in the registry's order (for findings made over sibling nodes). */
export function nodeOps(): readonly NodeOp[] {
  return [...NODE_OPS.values()];
}

/** The op that reads and plans a layer type; throws for a type that no op declares (the parser rejects those first). */
export function specOp(type: string): SpecOp<LayerSpec> {
  const op = SPEC_OPS.get(type);
  if (!op) throw new Error(`no op reads layers of type '${type}'`);
  return op;
}

/** The op that runs a planned node. */
export function nodeOp(op: string): NodeOp<PlanNode> {
  const found = NODE_OPS.get(op);
  if (!found) throw new Error(`no op runs nodes of op '${op}'`);
  return found;
}
