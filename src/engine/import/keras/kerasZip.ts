import { strFromU8, unzipSync } from 'fflate';
import type { Problem } from '../../format/problem';
import type { ImportOptions, ReadResult } from '../importedNetwork';
import { importKeras } from './importKeras';

/** The members of a `.keras` zip that describe the model (keras `saving_lib.py` `_CONFIG_FILENAME`, `_METADATA_FILENAME`). */
const CONFIG = 'config.json';
const METADATA = 'metadata.json';

/**
 * Reads a Keras `.keras` zip (Keras 3, tf.keras 2.13–2.15): its `config.json` is the model's
 * `serialize_keras_object`, read by `importKeras` with the `keras_version` of `metadata.json`; the weights
 * (`model.weights.h5`) are never read. Unzipped with fflate, only those two members. Problems are located in the
 * inner `config.json` (their message says so); a zip without it, or one fflate cannot read, is one problem at the
 * file's start. Never throws.
 */
export function readKerasZip(bytes: Uint8Array, options: ImportOptions = {}): ReadResult {
  const fail = (message: string): ReadResult => ({
    network: null, source: null, map: null, translateFinding: null,
    problems: [{ path: '', line: 1, column: 1, offset: 0, length: 0, severity: 'error', message } satisfies Problem],
  });
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (f) => f.name === CONFIG || f.name === METADATA });
  } catch (err) {
    return fail(`this .keras file is not a zip Init Inspector can read: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!files[CONFIG]) return fail(`this zip has no ${CONFIG}: a .keras file (Keras 3, tf.keras 2.13+) holds the model's architecture there`);
  let version: string | null = null;
  if (files[METADATA]) {
    try {
      const meta = JSON.parse(strFromU8(files[METADATA])) as { keras_version?: unknown };
      if (typeof meta.keras_version === 'string') version = meta.keras_version;
    } catch {
      // A broken metadata.json only loses the version: the config says the rest.
    }
  }
  const result = importKeras(strFromU8(files[CONFIG]), { ...options, containerVersion: version, within: `${CONFIG} inside this .keras zip${version ? ` (Keras ${version})` : ''}` });
  return { ...result, problems: result.problems.map((p) => ({ ...p, message: `${CONFIG}${p.path ? `#${p.path}` : ''}, line ${p.line}: ${p.message}` })) };
}

/**
 * The text a `.keras` zip is analyzed from by the host and its engine worker (which take text): the zip's
 * `config.json` with the `keras_version` of its `metadata.json` added as a top-level key (the key Keras 2 files carry,
 * which `importKeras` reads), or null when the zip has no readable `config.json`. Offsets in it are not the file's:
 * the host shows no diagnostics for a `.keras` file.
 */
export function kerasZipText(bytes: Uint8Array): string | null {
  try {
    const files = unzipSync(bytes, { filter: (f) => f.name === CONFIG || f.name === METADATA });
    if (!files[CONFIG]) return null;
    const config = strFromU8(files[CONFIG]);
    let version: unknown = null;
    try {
      version = files[METADATA] ? (JSON.parse(strFromU8(files[METADATA])) as { keras_version?: unknown }).keras_version : null;
    } catch {
      version = null;
    }
    return typeof version === 'string' && !config.includes('"keras_version"') ? config.replace(/^\s*\{/, `{"keras_version": ${JSON.stringify(version)}, `) : config;
  } catch {
    return null;
  }
}
