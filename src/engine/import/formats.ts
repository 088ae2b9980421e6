import { strFromU8 } from 'fflate';
import type { JsonStep } from '../format/pointer';
import { topLevelKeys } from '../format/topLevelKeys';
import { parseNetwork } from '../format/parseNetwork';
import type { ImportOptions, ReadResult } from './importedNetwork';
import { importHuggingFace, isHuggingFaceConfig } from './huggingFace/importHuggingFace';
import { importKeras, isDoubleEncodedKeras, isKerasModel, isTfjsModel } from './keras/importKeras';
import { readKerasZip } from './keras/kerasZip';

/** A file format the engine reads: how to recognise it from its top-level keys, and how to read it. */
interface NetworkFormat {
  name: string;
  /** From the top-level keys (and the text, for a model written as one JSON string). */
  detect(topLevel: ReadonlyMap<string, JsonStep>, text: string): boolean;
  read(text: string, options: ImportOptions): ReadResult;
}

/** The engine's own format: an object with `layers` (array) and `input` (object). */
function isNativeDescription(topLevel: ReadonlyMap<string, JsonStep>): boolean {
  return topLevel.get('layers') === 'array' && topLevel.get('input') === 'object';
}

// The formats in the order they are tried; the engine's own format comes first and is also the fallback. An importer
// for another framework (Keras, TF.js) adds an entry here.
const FORMATS: readonly NetworkFormat[] = [
  { name: 'native', detect: isNativeDescription, read: (text) => ({ ...parseNetwork(text), source: null, map: null, translateFinding: null }) },
  { name: 'huggingface', detect: isHuggingFaceConfig, read: importHuggingFace },
  { name: 'tfjs', detect: isTfjsModel, read: importKeras },
  { name: 'keras', detect: (keys, text) => isKerasModel(keys) || (keys.size === 0 && isDoubleEncodedKeras(text)), read: importKeras },
];

/** The format a text is written in, recognised by content ("native" for the engine's own), or null for none. */
export function detectNetworkFormat(text: string): string | null {
  const keys = topLevelKeys(text);
  return FORMATS.find((f) => f.detect(keys, text))?.name ?? null;
}

/**
 * Whether a text describes a network in a format the engine reads (its own, or a framework's file such as a Hugging
 * Face `config.json`): what decides which files the extension offers to analyze. Cheap, as `topLevelKeys`.
 */
export function isModelDescription(text: string): boolean {
  return detectNetworkFormat(text) !== null;
}

/**
 * Reads a network from a text in any format the engine reads: the format is recognised by content, and a file in
 * none is read as the engine's own format (whose problems then say what is missing). Never throws.
 */
export function readNetwork(text: string, options: ImportOptions = {}): ReadResult {
  const keys = topLevelKeys(text);
  const format = FORMATS.find((f) => f.detect(keys, text)) ?? FORMATS[0];
  return format.read(text, options);
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
