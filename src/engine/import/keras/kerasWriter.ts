/**
 * Who wrote a Keras-family file, which decides how its initializers draw and how a fix is written back:
 * - `keras3`: Keras 3 (`module`/`registered_name` on every object, dict-form nodes);
 * - `keras2`: tf.keras or standalone Keras 2 (`keras_version` 2.x);
 * - `tfjs`: TF.js layers (`keras_version` "tfjs-layers …"), whose `VarianceScaling` "normal" is truncated without the
 *   0.8796 correction and whose Glorot/He/LeCun all serialize as `VarianceScaling`.
 * `truncationCorrected` is Keras ≥ 2.2.0 and Keras 3 (keras PR #9963, 2018-05-07); standalone Keras 2.0–2.1.6 and
 * TF.js do not divide by 0.87962566103423978.
 */
export interface KerasWriter {
  flavour: 'keras2' | 'keras3' | 'tfjs';
  /** The version as the file says it ("2.2.0", "3.8.0", "tfjs-layers 1.3.2"), or null when it does not. */
  version: string | null;
  truncationCorrected: boolean;
  /** Whether the file's initializer objects carry `module` and `registered_name` (Keras 3, tf.keras 2.13–2.15). */
  moduleKeys: boolean;
  /** Who wrote it, for the report: "Keras 2.2.0", "TF.js (tfjs-layers 1.3.2)", "Keras 3 (version not in the file)". */
  label: string;
}

/**
 * The writer from the version a file gives (`keras_version` of Keras 2 and TF.js topologies, `metadata.json` of a
 * `.keras` zip, TF.js `generatedBy` "keras v3.8.0") and whether its objects carry `module` keys (Keras 3's
 * `serialize_keras_object`). Without any version: Keras 3 when `module` keys are present, else tf.keras 2 (corrected).
 */
export function kerasWriter(version: string | null, moduleKeys: boolean, tfjsNative = false): KerasWriter {
  if (tfjsNative) return { flavour: 'tfjs', version, truncationCorrected: false, moduleKeys: false, label: `TF.js${version ? ` (${version})` : ''}` };
  const m = version ? /^(\d+)\.(\d+)/.exec(version) : null;
  if (m) {
    const major = Number(m[1]);
    const minor = Number(m[2]);
    const flavour = major >= 3 ? 'keras3' : 'keras2';
    return { flavour, version, truncationCorrected: major >= 3 || (major === 2 && minor >= 2), moduleKeys, label: `Keras ${version}` };
  }
  return moduleKeys
    ? { flavour: 'keras3', version: null, truncationCorrected: true, moduleKeys, label: 'Keras 3 (version not in the file)' }
    : { flavour: 'keras2', version: null, truncationCorrected: true, moduleKeys, label: 'Keras 2 (version not in the file; read as tf.keras)' };
}
