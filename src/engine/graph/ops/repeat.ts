import type { LayerSpec } from '../../format/networkSpec';
import type { PlanNode } from '../plan';
import type { SpecOp } from '../layerOp';

/** Largest `times` a repeat accepts (the planner also caps the expanded layer count). */
export const MAX_REPEAT = 100_000;

export interface RepeatSpec extends LayerSpec {
  type: 'repeat';
  times: number;
  layers: LayerSpec[];
}

/**
 * `repeat`: its `layers`, `times` times over, each copy with its own weights (its own streams, by execution index);
 * as a Python loop building nn.Sequential. It exists only in the file format: the planner expands it, so no node
 * runs as a repeat, and copies share their layers' JSON pointers (findings on them are reported once, with a count).
 */
export const repeat: SpecOp<RepeatSpec> = {
  type: 'repeat',
  keys: ['times', 'layers'],
  schema: {
    description: 'Repeats its layers "times" times; each copy gets its own weights.',
    properties: {
      times: { type: 'integer', description: 'Number of copies.', minimum: 1, maximum: MAX_REPEAT },
      layers: { type: 'array', description: 'The layers to repeat.', items: { $ref: '#/definitions/layer' }, minItems: 1 },
    },
    required: ['times', 'layers'],
  },

  parse(ctx) {
    const { r, obj } = ctx;
    const times = r.number(ctx.required('times', 'how many copies'), ctx.at('times'), 'times', { integer: true, min: 1, max: MAX_REPEAT });
    const layers = ctx.readLayers(ctx.required('layers', 'the layers to repeat'), ctx.at('layers'));
    if (layers && layers.length === 0) r.report(r.prop(obj, 'layers'), ctx.at('layers'), `the repeat at ${ctx.at('layers')} has no layers`);
    return times !== undefined && layers && layers.length > 0 ? { type: 'repeat', path: ctx.path, name: ctx.name, times, layers } : undefined;
  },

  plan(spec, inShape, ctx) {
    const nodes: PlanNode[] = [];
    let shape = inShape;
    for (let t = 0; t < spec.times; t++) {
      const inner = ctx.planLayers(spec.layers, shape);
      if (!inner) return null;
      // A loop, not push(...spread): spreading 100,000 nodes as arguments overflows V8's stack.
      for (const node of inner.nodes) nodes.push(node);
      shape = inner.outShape;
    }
    return { nodes, outShape: shape };
  },
};
