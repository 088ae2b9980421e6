import type { JsonStep } from '../format/pointer';
import { topLevelKeys } from '../format/topLevelKeys';
import { parseNetwork } from '../format/parseNetwork';
import type { ImportOptions, ReadResult } from './importedNetwork';
import { importHuggingFace, isHuggingFaceConfig } from './huggingFace/importHuggingFace';

/** A file format the engine reads: how to recognise it from its top-level keys, and how to read it. */
interface NetworkFormat {
  name: string;
  detect(topLevel: ReadonlyMap<string, JsonStep>): boolean;
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
];

/** The format a text is written in, recognised by content ("native" for the engine's own), or null for none. */
export function detectNetworkFormat(text: string): string | null {
  const keys = topLevelKeys(text);
  return FORMATS.find((f) => f.detect(keys))?.name ?? null;
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
  const format = FORMATS.find((f) => f.detect(keys)) ?? FORMATS[0];
  return format.read(text, options);
}
