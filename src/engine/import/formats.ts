import { strFromU8 } from 'fflate';
import type { JsonStep } from '../format/pointer';
import { type Location, pointerLocator } from '../format/pointer';
import { topLevelKeys } from '../format/topLevelKeys';
import { parseNetwork } from '../format/parseNetwork';
import { applyFixes, fixEdits, type TextEdit } from '../edit/applyFix';
import type { Fix } from '../report/report';
import type { ImportOptions, ReadResult } from './importedNetwork';
import { importHuggingFace, isHuggingFaceConfig } from './huggingFace/importHuggingFace';
import { importKeras, isDoubleEncodedKeras, isKerasModel, isTfjsModel } from './keras/importKeras';
import { readKerasZip } from './keras/kerasZip';
import { importGptNeox, isGptNeoxConfig } from './gptNeox/importGptNeox';
import { yamlFixEdits, yamlPointerLocator } from './yamlDocument';

/**
 * A file format the engine reads: how to recognise it (from the JSON top-level keys, and the text for a model written
 * as one JSON string or a format that is not JSON), how to read it, and for a text that is not JSON how its pointers
 * are located and its values edited.
 */
interface NetworkFormat {
  name: string;
  detect(topLevel: ReadonlyMap<string, JsonStep>, text: string): boolean;
  read(text: string, options: ImportOptions): ReadResult;
  /** The text's own syntax (JSON unless said). */
  syntax?: 'yaml';
}

/** The engine's own format: an object with `layers` (array) and `input` (object). */
function isNativeDescription(topLevel: ReadonlyMap<string, JsonStep>): boolean {
  return topLevel.get('layers') === 'array' && topLevel.get('input') === 'object';
}

// The formats in the order they are tried; the engine's own format comes first and is also the fallback. An importer
// for another framework adds an entry here.
const FORMATS: readonly NetworkFormat[] = [
  { name: 'native', detect: isNativeDescription, read: (text) => ({ ...parseNetwork(text), source: null, map: null, translateFinding: null }) },
  { name: 'huggingface', detect: isHuggingFaceConfig, read: importHuggingFace },
  { name: 'tfjs', detect: isTfjsModel, read: importKeras },
  { name: 'keras', detect: (keys, text) => isKerasModel(keys) || (keys.size === 0 && isDoubleEncodedKeras(text)), read: importKeras },
  { name: 'gpt-neox', detect: (_keys, text) => isGptNeoxConfig(text), read: importGptNeox, syntax: 'yaml' },
];

function formatOf(text: string): NetworkFormat | undefined {
  const keys = topLevelKeys(text);
  return FORMATS.find((f) => f.detect(keys, text));
}

/** The format a text is written in, recognised by content ("native" for the engine's own), or null for none. */
export function detectNetworkFormat(text: string): string | null {
  return formatOf(text)?.name ?? null;
}

/**
 * Whether a text describes a network in a format the engine reads (its own, or a framework's file such as a Hugging
 * Face `config.json`, a Keras or TF.js model JSON or a GPT-NeoX YAML config): what decides which files the extension
 * offers to analyze. Cheap, as `topLevelKeys` (a YAML text is parsed only when it names GPT-NeoX's model keys).
 */
export function isModelDescription(text: string): boolean {
  return detectNetworkFormat(text) !== null;
}

/**
 * Reads a network from a text in any format the engine reads: the format is recognised by content, and a file in
 * none is read as the engine's own format (whose problems then say what is missing). Never throws.
 */
export function readNetwork(text: string, options: ImportOptions = {}): ReadResult {
  return (formatOf(text) ?? FORMATS[0]).read(text, options);
}

/** Whether bytes are a zip archive (a Keras 3 `.keras` file): the local file header signature "PK\x03\x04". */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/**
 * Reads a network from a file's bytes: a `.keras` zip (its `config.json`, with the version of its `metadata.json`;
 * problems are located in that inner `config.json`), else the bytes as UTF-8 text through `readNetwork`. Never throws.
 */
export function readNetworkBytes(bytes: Uint8Array, options: ImportOptions = {}): ReadResult {
  if (isZip(bytes)) return readKerasZip(bytes, options);
  return readNetwork(strFromU8(bytes), options);
}

/**
 * Maps the pointers of a file in any format the engine reads to their location in its text (`pointerLocator` for
 * JSON, `yamlPointerLocator` for a YAML format), for diagnostics, the CLI's `file:line:col` and "reveal". Nothing is
 * read until the first lookup (`analyze` asks for a locator on every run and uses it only when something is wrong).
 */
export function sourceLocator(text: string): (pointer: string) => Location {
  let locate: ((pointer: string) => Location) | undefined;
  return (pointer: string): Location => (locate ??= formatOf(text)?.syntax === 'yaml' ? yamlPointerLocator(text) : pointerLocator(text))(pointer);
}

/** The edits that apply a fix to a file in any format the engine reads, in its own syntax (`fixEdits`, `yamlFixEdits`). */
export function sourceFixEdits(text: string, fix: Fix, indent = { tabSize: 2, insertSpaces: true }): TextEdit[] {
  return formatOf(text)?.syntax === 'yaml' ? yamlFixEdits(text, fix) : fixEdits(text, fix, indent);
}

/** Applies several fixes one after the other to a file in any format; fixes to the same path apply once. */
export function applySourceFixes(text: string, fixes: Fix[]): string {
  return applyFixes(text, fixes, (t, fix) => sourceFixEdits(t, fix));
}
