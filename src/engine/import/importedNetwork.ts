import type { NetworkSpec } from '../format/networkSpec';
import type { Problem } from '../format/problem';
import type { Finding } from '../report/report';
import type { PointerMap } from './nativeDocument';

/** What an importer says about the network it built from a framework's file (the report carries it). */
export interface ImportedSource {
  /** The file's format, e.g. "huggingface". */
  format: string;
  /** The model family the file names (Hugging Face's `model_type`). */
  family: string;
  /** The model built: the file's architecture (its head included), e.g. "GPT2LMHeadModel". */
  architecture: string;
  /** Whose init the weights follow, with its version, e.g. "transformers 4.x GPT2PreTrainedModel._init_weights". */
  initRules: string;
  /** The sequence length and batch of the run (defaults an option can override). */
  tokens: number | null;
  batchSize: number;
  /** What the engine approximates or leaves out, and the keys taken from the config class's defaults. */
  notes: string[];
  /**
   * Parameters the framework's own total counts beyond the engine's `cost.parameterCount` (Keras' model.summary()
   * counts BatchNormalization's moving mean and variance, 2 per channel, and a layer the import leaves out).
   */
  uncountedParameters?: number;
}

/** Options of an import: the sequence length of the run (else the importer's default). */
export interface ImportOptions {
  tokens?: number;
}

/** A network read from a file, whatever its format: the parsed network (or null), located problems, and for imports the translation. */
export interface ReadResult {
  network: NetworkSpec | null;
  problems: Problem[];
  /** Null for the engine's own format. */
  source: ImportedSource | null;
  /** The generated document's pointers → the file's (null for the engine's own format, whose pointers are the file's). */
  map: PointerMap | null;
  /** Rewrites a finding made on the generated network into the file's terms: its pointers, and its fix in the file's vocabulary. */
  translateFinding: ((finding: Finding) => Finding) | null;
}
