/**
 * GPT-NeoX's init methods (`init_method`, `output_layer_init_method`), as EleutherAI/gpt-neox draws them
 * (`megatron/model/init_functions.py`, `get_init_methods`, read at 05c4de35; `mup_m_width` 1, its default):
 * - `normal`: N(0, σ²), σ = `init_method_std` (default 0.02);
 * - `scaled_normal`: N(0, (σ/√(2·L))²), L = `num_layers` (Megatron's residual scaling);
 * - `small_init`: N(0, 2/(5·d)), d = `hidden_size` (Nguyen & Salazar 2019, "Transformers without Tears");
 * - `wang_init`: N(0, (2/(L·√d))²) (Wang 2021, as GPT-J used it);
 * - `xavier_uniform`, `xavier_normal`: PyTorch's, from the weight's own fans;
 * - `orthogonal`: a (semi-)orthogonal matrix times gain √2; `scaled_orthogonal`: gain √(2/L).
 * Biases are zeros and norm weights ones whatever the method (the model code fills them).
 */
export const NEOX_INIT_METHODS = ['normal', 'scaled_normal', 'orthogonal', 'scaled_orthogonal', 'xavier_uniform', 'xavier_normal', 'wang_init', 'small_init'] as const;
export type NeoxInitMethod = (typeof NEOX_INIT_METHODS)[number];

/** What an init method's std depends on: the model's width and depth, `init_method_std`, and one weight's fans. */
export interface InitContext {
  hiddenSize: number;
  numLayers: number;
  initMethodStd: number;
}

/** A method drawn for one weight: the engine's init (its own format) and the std it gives a weight of these fans. */
export interface MethodDraw {
  init: string | { scheme: string; std?: number; gain?: number };
  std: number;
}

/**
 * The engine's init for a GPT-NeoX init method on a weight with fans `fanIn`, `fanOut`, and its std (see the module
 * comment): normal-type methods as `{ "scheme": "normal", "std": s }`; Xavier from the fans, std √(2/(fanIn + fanOut));
 * orthogonal with its gain, std gain/√max(fanIn, fanOut) (the rows or columns of a semi-orthogonal matrix are unit).
 */
export function methodDraw(method: NeoxInitMethod, ctx: InitContext, fanIn: number, fanOut: number): MethodDraw {
  const normal = (std: number): MethodDraw => ({ init: { scheme: 'normal', std }, std });
  switch (method) {
    case 'normal': return normal(ctx.initMethodStd);
    case 'scaled_normal': return normal(ctx.initMethodStd / Math.sqrt(2 * ctx.numLayers));
    case 'small_init': return normal(smallInitStd(ctx.hiddenSize));
    case 'wang_init': return normal(wangInitStd(ctx.numLayers, ctx.hiddenSize));
    case 'xavier_uniform':
    case 'xavier_normal': return { init: method, std: Math.sqrt(2 / (fanIn + fanOut)) };
    case 'orthogonal':
    case 'scaled_orthogonal': {
      const gain = Math.sqrt(2 / (method === 'orthogonal' ? 1 : ctx.numLayers));
      return { init: { scheme: 'orthogonal', gain }, std: gain / Math.sqrt(Math.max(fanIn, fanOut)) };
    }
  }
}

/** `small_init_init_method(dim)`: std √(2/(5·d)) (Nguyen & Salazar 2019); Pythia-70M (d = 512): 0.02795. */
export function smallInitStd(hiddenSize: number): number {
  return Math.sqrt(2 / (5 * hiddenSize));
}

/** `wang_init_method(n_layers, dim)`: std 2/(L·√d); Pythia-70M (L = 6, d = 512): 0.01473. */
export function wangInitStd(numLayers: number, hiddenSize: number): number {
  return 2 / numLayers / Math.sqrt(hiddenSize);
}
