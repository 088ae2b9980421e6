import { type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { JsonStep } from '../../format/pointer';
import { parseNetwork } from '../../format/parseNetwork';
import { LineIndex, type Problem } from '../../format/problem';
import { Reader } from '../../format/reader';
import type { ImportOptions, ReadResult } from '../importedNetwork';
import { NativeDocument } from '../nativeDocument';
import { bert } from './bert';
import { ConfigReader } from './configReader';
import { DEFAULT_IMPORT_BATCH, type Family } from './family';
import { gpt2 } from './gpt2';
import { gptNeox } from './gptNeox';
import { llama } from './llama';
import { t5 } from './t5';
import { translateFinding } from './translateFinding';
import { vit } from './vit';

/** Every family the importer builds, by module (one modelling file of transformers each). */
const FAMILIES: readonly Family[] = [gpt2, bert, llama, gptNeox, t5, vit];

/** Every `model_type` the importer reads, in the order messages list them. */
export const HF_MODEL_TYPES: readonly string[] = FAMILIES.flatMap((f) => f.modelTypes);

/** Top-level keys that only a Hugging Face `config.json` has (`PretrainedConfig.to_dict`). */
const HF_KEYS = ['model_type', 'architectures', 'transformers_version', 'auto_map', '_name_or_path'];

/**
 * Whether a JSON object's top-level keys make it a Hugging Face `config.json`: `model_type`, or `architectures`, or
 * another key only `PretrainedConfig` writes, and not the engine's own `layers` and `input`.
 */
export function isHuggingFaceConfig(topLevel: ReadonlyMap<string, JsonStep>): boolean {
  return HF_KEYS.some((k) => topLevel.has(k)) && !(topLevel.has('layers') && topLevel.has('input'));
}

const SUPPORTED = (): string => `supported model_type values (transformers' own modelling code): ${HF_MODEL_TYPES.join(', ')}`;

/**
 * Reads a Hugging Face `config.json` (`PretrainedConfig.to_json_file`) into the engine's network: the family named by
 * `model_type` builds its layers and their init as transformers 4.x does, in the engine's own format (parsed by the
 * engine's own parser), with every pointer mapped back to the config key that decides it. Refused with one located
 * message naming the supported families: an unknown `model_type`, a config without one, and an `auto_map` (remote
 * code, which is never run). The run reads `tokens` token ids (default 32, at most the model's positions), batch 1.
 * Never throws.
 */
export function importHuggingFace(text: string, options: ImportOptions = {}): ReadResult {
  const r = new Reader(text);
  const fail = (): ReadResult => ({ network: null, problems: r.problems, source: null, map: null, translateFinding: null });
  try {
    const errors: ParseError[] = [];
    const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
    for (const e of errors) r.reportAt(e.offset, e.length, `JSON syntax error: ${printParseErrorCode(e.error)}`);
    if (errors.length > 0 || !root || !r.object(root, '', 'the config')) return fail();
    const config = new ConfigReader(r, root);
    const architectures = r.prop(root, 'architectures');
    const firstArchitecture = architectures?.type === 'array' && architectures.children?.[0]?.type === 'string' ? String(architectures.children[0].value) : null;
    const typeNode = r.prop(root, 'model_type');
    if (!typeNode) {
      const guess = firstArchitecture ? FAMILIES.flatMap((f) => f.modelTypes).find((t) => firstArchitecture.toLowerCase().startsWith(t.replace('_', ''))) : undefined;
      r.report(root, '', `this Hugging Face config has no "model_type", which names the architecture to build${firstArchitecture ? ` (architectures names '${firstArchitecture}'${guess ? `: add "model_type": "${guess}"` : ''})` : ''}; ${SUPPORTED()}`);
      return fail();
    }
    const modelType = r.oneOf(typeNode, '/model_type', 'model_type', HF_MODEL_TYPES);
    const autoMap = r.prop(root, 'auto_map');
    if (autoMap) {
      const targets = autoMap.type === 'object' ? (autoMap.children ?? []).map((p) => `${p.children?.[0]?.value} → ${p.children?.[1]?.value}`).join(', ') : '';
      r.report(autoMap, '/auto_map', `"auto_map" at /auto_map points at custom modelling code${targets ? ` (${targets})` : ''}: its model and its init are in that code, which Init Inspector never runs. `
        + `${modelType ? `Remove "auto_map" to analyze the config as transformers' own '${modelType}' model; ` : ''}${SUPPORTED()}`);
      return fail();
    }
    if (!modelType) {
      // oneOf reported it; say what is supported once more in its own words.
      r.problems[r.problems.length - 1].message += ` (${SUPPORTED()})`;
      return fail();
    }
    const family = FAMILIES.find((f) => f.modelTypes.includes(modelType))!;
    const doc = new NativeDocument();
    const notes: string[] = [];
    const built = family.build({ config, doc, notes, tokens: options.tokens, architecture: { value: firstArchitecture, pointer: '/architectures/0', given: firstArchitecture !== null } });
    if (r.problems.some((p) => p.severity === 'error')) return fail();
    const name = config.find('_name_or_path')?.node.value;
    const document = {
      name: `${typeof name === 'string' && name ? name : modelType} (${built.architecture})`,
      input: built.input, batch_size: DEFAULT_IMPORT_BATCH, seed: 0, layers: built.layers,
    };
    const { text: nativeText, map } = doc.build(document);
    const parsed = parseNetwork(nativeText);
    // The generated document is the importer's: a problem in it is a bug (or a layer type this build lacks), reported
    // once per message at the key its layer comes from.
    const missingOps = new Set(parsed.problems.flatMap((p) => /^unknown layer type '([^']+)'/.exec(p.message)?.[1] ?? []));
    const seen = new Set<string>();
    const lines = new LineIndex(text);
    const internal: Problem[] = parsed.problems.filter((p) => {
      const key = /^unknown layer type '([^']+)'/.exec(p.message)?.[1] ?? p.message;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }).map((p) => {
      const at = map.toSource(p.path);
      const node = r.prop(root, at.slice(1)) ?? root;
      return { ...p, path: at, offset: node.offset, length: node.length, ...lines.position(node.offset), message: missingOps.size > 0 && /^unknown layer type/.test(p.message)
        ? `${modelType} models need the '${/^unknown layer type '([^']+)'/.exec(p.message)?.[1]}' layer, which this build of Init Inspector does not have`
        : `internal error importing this ${modelType} config (please report it): ${p.message}` };
    });
    if (config.defaulted.length > 0) notes.push(`keys absent from the file, taken from the ${modelType} config class's defaults: ${config.defaulted.join(', ')}`);
    return {
      network: parsed.network,
      problems: [...r.problems, ...internal],
      source: { format: 'huggingface', family: modelType, architecture: built.architecture, initRules: built.initRules, tokens: built.tokens, batchSize: DEFAULT_IMPORT_BATCH, notes },
      map,
      translateFinding: (finding) => translateFinding(finding, map, modelType),
    };
  } catch (err) {
    r.reportAt(0, 0, `internal error while importing the Hugging Face config: ${err instanceof Error ? err.message : String(err)}`);
    return fail();
  }
}
