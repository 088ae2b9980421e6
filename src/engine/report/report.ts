import type { PredictedLayer } from '../meanField/signal';
import type { OutputStats } from '../sampled/layerStats';
import type { Problem } from '../format/problem';
import type { ImportedSource } from '../import/importedNetwork';
import type { BlockGroup } from './blockReport';

export type Mode = 'sampled' | 'analytic' | 'both';
export type Severity = 'error' | 'warning' | 'info';

/** One layer of the report, in execution order; fields a mode does not compute are null. */
export interface LayerReport {
  index: number;
  /** JSON pointer of the layer object; copies made by `repeat` share it. */
  path: string;
  name: string;
  type: string;
  outputShape: number[];
  fanIn: number | null;
  fanOut: number | null;
  /** The nonlinearity applied at the layer's output ("linear" for none), null for layers that apply none. */
  activationFunction: string | null;
  init: {
    scheme: string;
    /**
     * Std of the distribution the weights are drawn from (multiplier included), exactly: σ·√(1 + (αφ(α) − βφ(β))/Z −
     * ((φ(α) − φ(β))/Z)²) for a normal truncated to [a, b], (high − low)/√12 for a uniform, gain/√max(rows, cols) for
     * an orthogonal matrix (`resolveInit.ts`).
     */
    std: number;
    label: string;
    /** "layer", "defaults", or "assumed" when nothing was declared and PyTorch's default was used. */
    source: 'layer' | 'defaults' | 'assumed';
    /** Std of the weights actually sampled (sampled mode). */
    sampledStd: number | null;
  } | null;
  /**
   * A layer with several weights (attention's q, k, v or fused qkv, and o; a gated MLP's gate, up and down): each
   * weight's name, shape [out, in] and init, whose `std` is that of the distribution drawn (truncation and multiplier
   * included, as `init.std`); null for other layers.
   */
  projections: { name: string; shape: number[]; scheme: string; std: number; label: string; source: 'layer' | 'defaults' | 'assumed' }[] | null;
  preActivation: { mean: number; std: number } | null;
  activation: (OutputStats & { distinctUnits: number | null }) | null;
  gradient: { std: number } | null;
  weightGradient: { std: number; ratio: number | null } | null;
  predicted: PredictedLayer | null;
  /**
   * An attention layer's scores at init: the std of its scaled logits (sampled and predicted) and the mean entropy
   * of its attention over ln(visible keys) (1 is uniform attention, 0 every query on one key); null for other layers.
   */
  attention: { logitStd: number | null; entropy: number | null; predictedLogitStd: number | null } | null;
  /**
   * An output head's cross-entropy at init against random targets: sampled, predicted (E[logsumexp] of Gaussian
   * logits, ln(vocab) + Var(logit)/2 while the logits are small), and
   * ln(vocab), the loss of uniform logits; null for other layers.
   */
  loss: { sampled: number | null; predicted: number | null; uniform: number } | null;
}

/** A concrete change that fixes a finding: set the JSON value at `path` (creating the property if needed). */
export interface Fix {
  description: string;
  path: string;
  value: unknown;
  /** The weight std the new value implies for the layer's fan, when it is an init. */
  std?: number;
  /** Further values the same fix sets (every block's output projection, say), applied together with the first. */
  also?: { path: string; value: unknown }[];
}

export interface Finding {
  code: FindingCode;
  severity: Severity;
  /** JSON pointer of the value that causes it (an init, its std, or a residual block). */
  path: string;
  /** Index of the (first) layer it concerns, or null for the whole network. */
  layer: number | null;
  /** How many expanded layers share the cause (repeat copies). */
  copies: number;
  message: string;
  fix: Fix | null;
  /** Other fixes worth offering (for example the std number instead of a new scheme). */
  alternatives: Fix[];
  /** Other places that matter (for example the branch's last layer of a residual block). */
  related: { path: string; message: string }[];
}

/** Every finding code, in the order the README's findings table and the severity setting list them. */
export const FINDING_CODES = [
  'zero-init-symmetry', 'constant-init-symmetry', 'vanishing-activations', 'exploding-activations', 'saturated-activations',
  'dead-units', 'vanishing-gradients', 'exploding-gradients', 'residual-variance-growth', 'init-activation-mismatch',
  'residual-stream-growth', 'attention-entropy-collapse', 'output-loss-above-uniform', 'post-ln-gradient-imbalance',
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

export interface Report {
  file: string | null;
  network: string;
  mode: Mode;
  seed: number;
  batchSize: number;
  layers: LayerReport[];
  /**
   * The repeated blocks among the layers (a repeat's copies, an imported model's per-layer blocks, a transformer's
   * attention + MLP pair), each summarised (`blocks.ts`); empty when nothing repeats.
   */
  blocks: BlockGroup[];
  findings: Finding[];
  problems: Problem[];
  /** The compute backend of the sampled run (null when none ran). */
  backend: string | null;
  /**
   * What a sampled run costs (estimated from shapes), the weights it draws, and `parameterCount`: the trainable
   * parameters as the framework counts them (weights, biases, norm gains and shifts; tied weights once).
   */
  cost: { forwardFlops: number; totalFlops: number; peakBytes: number; weightCount: number; parameterCount: number } | null;
  /** Why the sampled run was refused or did not finish, with the estimate; null when it ran or was not asked. */
  sampledRefused: string | null;
  timings: { parseMs: number; analyticMs: number; sampledMs: number };
  /**
   * For a framework's file (a Hugging Face `config.json`): its format and family, the model built, whose init the
   * weights follow (with the version), the run's tokens and batch, and what is approximated. Absent for the engine's
   * own format.
   */
  source?: ImportedSource;
}
