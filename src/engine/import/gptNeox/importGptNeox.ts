import { isMap, isScalar, isSeq, type Node as YamlNode } from 'yaml';
import type { ActivationName } from '../../math/activation';
import { parseNetwork } from '../../format/parseNetwork';
import type { Problem } from '../../format/problem';
import type { ImportOptions, ReadResult } from '../importedNetwork';
import { NativeDocument } from '../nativeDocument';
import { DEFAULT_IMPORT_BATCH, DEFAULT_TOKENS } from '../huggingFace/family';
import { fmt } from '../huggingFace/gpt2';
import { type Draw, gptNeoxLayers } from '../gptNeoxModel';
import { parseYaml } from '../yamlDocument';
import { methodDraw, NEOX_INIT_METHODS, type NeoxInitMethod } from './initMethods';
import { NeoxConfig } from './neoxConfig';
import { translateNeoxFinding } from './translateFinding';

/** The model keys that make a YAML file a GPT-NeoX config (dashes or underscores), two of which it must set. */
const MODEL_KEYS = ['num_layers', 'hidden_size', 'num_attention_heads'];
const KEY_PATTERN = /(^|[{,\s])["']?(num[-_]layers|hidden[-_]size|num[-_]attention[-_]heads)["']?\s*:/gm;

/**
 * Whether a text is a GPT-NeoX YAML config: a YAML map whose top level sets at least two of `num-layers`,
 * `hidden-size` and `num-attention-heads` (either spelling) and has no `model_type` (a Hugging Face config) nor the
 * engine's own `layers` and `input` — or a text naming two of them that is not valid YAML (so that its syntax error
 * is reported). A text that does not name two of them is rejected by one scan, before any YAML is parsed, so the
 * check stays cheap for the Explorer.
 */
export function isGptNeoxConfig(text: string): boolean {
  const named = new Set([...text.matchAll(KEY_PATTERN)].map((m) => m[2].replace(/-/g, '_')));
  if (named.size < 2) return false;
  const { root, problems } = parseYaml(text);
  // A broken YAML text that names the model keys is read as one, so its syntax error is what the user sees.
  if (problems.length > 0) return true;
  if (!root || !isMap(root)) return false;
  const keys = new Set(root.items.flatMap((i) => (isScalar(i.key) ? [String(i.key.value).replace(/-/g, '_')] : [])));
  return MODEL_KEYS.filter((k) => keys.has(k)).length >= 2 && !keys.has('model_type') && !(keys.has('layers') && keys.has('input'));
}

/** The tokenizers whose vocabulary size is known without reading their file: GPT-2's BPE, and GPT-NeoX-20B's (Pythia's). */
function tokenizerVocab(type: string, file: string): number | null {
  if (type === 'GPT2BPETokenizer' || type === 'HFGPT2Tokenizer') return 50257;
  if (type === 'HFTokenizer' && /20B_tokenizer\.json$/.test(file)) return 50277;
  return null;
}

/**
 * `_vocab_size_with_padding` (gpt-neox `megatron/tokenizer/tokenizer.py`): the tokenizer's size rounded up to a
 * multiple of `make_vocab_size_divisible_by` × `model_parallel_size` (Pythia: 50277 → 50304).
 */
export function paddedVocab(size: number, divisibleBy: number, modelParallel: number): number {
  const multiple = divisibleBy * modelParallel;
  return Math.ceil(size / multiple) * multiple;
}

/** gpt-neox's activations (`megatron/model/activations.py`) and the engine's: gelu is the tanh form when fused with its bias. */
function activationOf(name: string, fused: boolean): ActivationName | null {
  if (name === 'gelu') return fused ? 'gelu_new' : 'gelu';
  if (name === 'relu') return 'relu';
  if (name === 'swish') return 'silu';
  return null;
}

/**
 * Reads a GPT-NeoX YAML config (EleutherAI/gpt-neox's own format, as Pythia's `models/70M/pythia-70m.yml`) into the
 * engine's network: the model `GPT2ModelPipe` builds (`megatron/model/gpt2_model.py`, `transformer.py`) —
 * word embeddings (and learned positions when `pos-emb` is "learned"), `num-layers` blocks (parallel
 * x + Attn(LN₁x) + MLP(LN₂x) with `gpt-j-residual`, else sequential pre-LN), rotary on `rotary-pct` of each head,
 * MLP 4·hidden_size wide, the final norm and the output layer (untied with `no-weight-tying`) — drawn as gpt-neox
 * draws it: `init_method` for the embeddings, `query_key_value`, `dense_h_to_4h` and the output layer,
 * `output_layer_init_method` for `attention.dense` and `dense_4h_to_h` (`initMethods.ts`), biases 0, norms (1, 0).
 * One file is read on its own (gpt-neox merges a list of files): an absent key takes NeoXArgs' default, listed in the
 * report; the three model sizes are required. The vocabulary is the tokenizer's size padded (`paddedVocab`), known
 * for the GPT-2 and GPT-NeoX-20B tokenizers (else the latter's 50277 is assumed, with a warning). Every problem is
 * located at its key; findings and fixes come back in the file's keys and spelling. Never throws.
 */
export function importGptNeox(text: string, options: ImportOptions = {}): ReadResult {
  const { root, problems, lines } = parseYaml(text);
  const fail = (): ReadResult => ({ network: null, problems, source: null, map: null, translateFinding: null });
  try {
    if (!root || !isMap(root)) {
      if (problems.length === 0) problems.push({ path: '', line: 1, column: 1, offset: 0, length: 0, severity: 'error', message: 'a GPT-NeoX config is a YAML map of keys (num-layers, hidden-size, …)' });
      return fail();
    }
    const config = new NeoxConfig(root, lines, problems);
    const notes: string[] = [];
    const layers = config.int('num_layers', null);
    const width = config.int('hidden_size', null);
    const heads = config.int('num_attention_heads', null);
    if (problems.some((p) => p.severity === 'error')) return fail();
    const seqLength = config.has('seq_length') ? config.int('seq_length', 2048) : null;
    const maxPositions = config.has('max_position_embeddings') ? config.int('max_position_embeddings', 2048) : null;
    const posEmb = config.oneOf('pos_emb', 'learned', ['learned', 'rotary', 'sinusoidal', 'rpe', 'alibi', 'none']);
    const rotaryPct = config.real('rotary_pct', 1, { min: 0, max: 1, exclusiveMin: true });
    const rotaryBase = config.real('rotary_emb_base', 10000, { min: 0, exclusiveMin: true });
    const noTying = config.boolean('no_weight_tying', false);
    const parallel = config.boolean('gpt_j_residual', false);
    const gptJTied = config.boolean('gpt_j_tied', false);
    const normType = config.oneOf('norm', 'layernorm', ['layernorm', 'rmsnorm', 'scalenorm']);
    const eps = normType.value === 'rmsnorm' ? config.real('rms_norm_epsilon', 1e-8, { min: 0, exclusiveMin: true }) : config.real('layernorm_epsilon', 1e-5, { min: 0, exclusiveMin: true });
    const act = config.oneOf('activation', 'gelu', ['gelu', 'geglu', 'relu', 'softsign', 'swish', 'mish']);
    const fused = config.boolean('bias_gelu_fusion', false);
    const initMethod = config.oneOf<NeoxInitMethod>('init_method', 'normal', NEOX_INIT_METHODS);
    const outputMethod = config.oneOf<NeoxInitMethod>('output_layer_init_method', 'scaled_normal', NEOX_INIT_METHODS);
    const initStd = config.real('init_method_std', 0.02, { min: 0 });
    const hidden = config.has('intermediate_size') ? config.int('intermediate_size', 4 * width.value) : { value: 4 * width.value, pointer: width.pointer, given: false };
    const attentionBias = config.boolean('use_bias_in_attn_linear', true);
    const divisible = config.int('make_vocab_size_divisible_by', 128);
    const modelParallel = config.int('model_parallel_size', 1);
    const tokenizer = config.string('tokenizer_type', 'GPT2BPETokenizer');
    const vocabFile = config.string('vocab_file', '');

    if (width.value % heads.value !== 0) config.reportAt('num_attention_heads', `${config.spelling('hidden_size')} ${width.value} must be a multiple of ${config.spelling('num_attention_heads')} ${heads.value} at ${heads.pointer}`);
    const headDim = Math.max(1, Math.floor(width.value / heads.value));
    if (posEmb.value === 'rotary' && 2 * Math.floor((headDim * rotaryPct.value) / 2) < 2) config.reportAt('rotary_pct', `${config.spelling('rotary_pct')} ${rotaryPct.value} of a head of ${headDim} rotates no pair of dimensions at ${rotaryPct.pointer}`);
    if (['sinusoidal', 'rpe', 'alibi'].includes(posEmb.value)) config.reportAt('pos_emb', `${config.spelling('pos_emb')} '${posEmb.value}' at ${posEmb.pointer}: Init Inspector computes rotary, learned or no position embeddings`);
    if (gptJTied.value && parallel.value) config.reportAt('gpt_j_tied', `${config.spelling('gpt_j_tied')} at ${gptJTied.pointer} (one LayerNorm for both branches): Init Inspector computes the parallel block with two LayerNorms; set it to false`);
    if (normType.value === 'scalenorm') config.reportAt('norm', `${config.spelling('norm')} 'scalenorm' at ${normType.pointer}: Init Inspector computes layernorm or rmsnorm`);
    const activation = activationOf(act.value, fused.value);
    if (!activation) config.reportAt('activation', `${config.spelling('activation')} '${act.value}' at ${act.pointer}: Init Inspector computes gelu, relu or swish for gpt-neox`);
    if (posEmb.value === 'learned' && !maxPositions) config.reportAt('max_position_embeddings', `'${config.spelling('max_position_embeddings')}' is not set, and learned position embeddings (${config.spelling('pos_emb')} 'learned', gpt-neox's default) need it: add it`);
    if (config.has('use_mup') && config.boolean('use_mup', false).value) notes.push('use_mup is left out: the init is read without μP\'s width multipliers');
    if (problems.some((p) => p.severity === 'error')) return fail();

    let vocabSize = tokenizerVocab(tokenizer.value, vocabFile.value);
    if (vocabSize === null) {
      vocabSize = 50277;
      config.reportAt(config.has('vocab_file') ? 'vocab_file' : 'tokenizer_type', `the vocabulary size comes from the tokenizer (${tokenizer.value}${vocabFile.value ? `, ${vocabFile.value}` : ''}), which Init Inspector does not read: assumed the GPT-NeoX-20B tokenizer's 50277 tokens`, 'warning');
    }
    const vocab = { value: paddedVocab(vocabSize, divisible.value, modelParallel.value), pointer: config.has('vocab_file') ? config.pointer('vocab_file') : config.pointer('tokenizer_type') };
    notes.push(`vocabulary: ${vocabSize} tokens (${tokenizer.value}) padded to ${vocab.value}, a multiple of ${config.spelling('make_vocab_size_divisible_by')} × ${config.spelling('model_parallel_size')} = ${divisible.value * modelParallel.value}`);

    const positions = maxPositions ?? seqLength;
    const asked = options.tokens ?? DEFAULT_TOKENS;
    const tokens = positions && asked > positions.value ? positions.value : asked;
    if (tokens < asked) notes.push(`${asked} tokens asked, ${tokens} used: the model has ${tokens} positions (${positions!.pointer.slice(1)})`);

    const initCtx = { hiddenSize: width.value, numLayers: layers.value, initMethodStd: initStd.value };
    const d = width.value;
    const draw = (method: typeof initMethod, parameters: string[], fanIn: number, fanOut: number): Draw => {
      const drawn = methodDraw(method.value, initCtx, fanIn, fanOut);
      return { init: drawn.init, key: method.pointer, role: { parameters, std: drawn.std, key: method.pointer, keyName: config.spelling(method === initMethod ? 'init_method' : 'output_layer_init_method'), keyValue: drawn.std, factor: 1 } };
    };
    const p = 'layers.*';
    const doc = new NativeDocument();
    const layersOut = gptNeoxLayers(doc, {
      vocab, width, layers, heads, hidden, activation: { value: activation!, pointer: act.pointer },
      rotary: posEmb.value === 'rotary' ? { fraction: rotaryPct, base: rotaryBase } : null,
      positions: posEmb.value === 'learned' ? { count: maxPositions!, draw: draw(initMethod, ['position_embeddings.weight'], d, maxPositions!.value) } : null,
      norm: { type: normType.value === 'rmsnorm' ? 'rmsnorm' : 'layernorm', eps }, parallel, attentionBias, tied: { value: !noTying.value, pointer: noTying.pointer }, lmHead: true,
      draws: {
        embed: draw(initMethod, ['word_embeddings.weight'], d, vocab.value),
        qkv: draw(initMethod, [`${p}.attention.query_key_value.weight`], d, 3 * d),
        attnOut: draw(outputMethod, [`${p}.attention.dense.weight`], d, d),
        mlpIn: draw(initMethod, [`${p}.mlp.dense_h_to_4h.weight`], d, hidden.value),
        mlpOut: draw(outputMethod, [`${p}.mlp.dense_4h_to_h.weight`], hidden.value, d),
        head: draw(initMethod, ['final_linear.weight'], d, vocab.value),
      },
      names: { embed: 'word_embeddings', finalNorm: 'norm', head: 'final_linear' },
    });
    const attention = config.node('attention_config');
    const types = attention ? attentionTypes(attention) : [];
    const other = [...new Set(types.filter((t) => t !== 'global' && t !== 'flash'))];
    if (other.length > 0) notes.push(`${config.spelling('attention_config')}: ${other.join(', ')} attention is computed as full causal attention`);
    notes.push('dropout (hidden-dropout, attention-dropout) is left out, as in evaluation');
    if (config.defaulted.length > 0) notes.push(`keys absent from this file, taken from gpt-neox's NeoXArgs defaults: ${config.defaulted.join(', ')}`);

    const document = { name: `GPT-NeoX ${layers.value} × ${width.value} (gpt-neox YAML)`, input: { tokens, vocab: vocab.value }, batch_size: DEFAULT_IMPORT_BATCH, seed: 0, layers: layersOut };
    const { text: nativeText, map } = doc.build(document);
    const parsed = parseNetwork(nativeText);
    const internal: Problem[] = [...new Set(parsed.problems.map((p) => p.message))].map((message) => ({
      path: '', line: 1, column: 1, offset: 0, length: 0, severity: 'error', message: `internal error importing this GPT-NeoX config (please report it): ${message}`,
    }));
    const byFans = new Set<NeoxInitMethod>(['xavier_uniform', 'xavier_normal', 'orthogonal', 'scaled_orthogonal']);
    const initStds = (m: NeoxInitMethod): string => (byFans.has(m) ? `${m} (from each weight's fans)` : `N(0, ${fmt(methodDraw(m, initCtx, d, d).std)}²)`);
    return {
      network: parsed.network,
      problems: [...problems, ...internal],
      source: {
        format: 'gpt-neox', family: 'gpt_neox', architecture: 'GPT2ModelPipe', tokens, batchSize: DEFAULT_IMPORT_BATCH, notes,
        initRules: `gpt-neox megatron/model/init_functions.py: ${config.spelling('init_method')} ${initMethod.value} → ${initStds(initMethod.value)} for the embeddings, query_key_value, dense_h_to_4h and the output layer; ${config.spelling('output_layer_init_method')} ${outputMethod.value} → ${initStds(outputMethod.value)} for attention.dense and dense_4h_to_h; biases 0, norms (1, 0)`,
      },
      map,
      translateFinding: (finding) => translateNeoxFinding(finding, map, {
        init: { pointer: initMethod.pointer, spelling: config.spelling('init_method'), method: initMethod.value },
        output: { pointer: outputMethod.pointer, spelling: config.spelling('output_layer_init_method'), method: outputMethod.value },
        std: { pointer: initStd.pointer, spelling: config.spelling('init_method_std'), value: initStd.value },
        initCtx, roles: map.roles,
      }),
    };
  } catch (err) {
    problems.push({ path: '', line: 1, column: 1, offset: 0, length: 0, severity: 'error', message: `internal error while importing the GPT-NeoX config: ${err instanceof Error ? err.message : String(err)}` });
    return fail();
  }
}

/** The attention types an `attention-config` names (`[[["global"], 6]]`, `[[["flash", "local"], 3]]`). */
function attentionTypes(node: YamlNode): string[] {
  if (!isSeq(node)) return [];
  return node.items.flatMap((entry) => (isSeq(entry) && isSeq(entry.items[0]) ? entry.items[0].items.flatMap((t) => (isScalar(t) ? [String(t.value)] : [])) : []));
}
