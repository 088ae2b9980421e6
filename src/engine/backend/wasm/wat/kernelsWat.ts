import { KERNEL_MEMORY, KERNEL_NAMES, type KernelName } from '../kernelAbi';
import { activationKernels } from './activationWat';
import { attentionKernels } from './attentionWat';
import { convKernels } from './convWat';
import { fillKernels } from './fillWat';
import { gemmKernels } from './gemmWat';
import { normalizationKernels } from './normalizationWat';
import { statsKernels } from './statsWat';
import { transposeKernels } from './transposeWat';

/**
 * The kernels' WebAssembly module as WAT text: the memory import and every kernel of kernelAbi.ts, in its order (the
 * generators are typed so that each declared kernel is written once). The build (scripts/wasm/buildKernels.js)
 * assembles it into dist/kernels.wasm; nothing binary is committed.
 */
export function kernelsWat(): string {
  const fields: Record<KernelName, string> = { ...gemmKernels(), ...fillKernels(), ...statsKernels(), ...convKernels(), ...activationKernels(), ...transposeKernels(), ...attentionKernels(), ...normalizationKernels() };
  const m = KERNEL_MEMORY;
  const memory = `(import "${m.module}" "${m.name}" (memory ${m.initialPages} ${m.maximumPages}${m.shared ? ' shared' : ''}))`;
  return `(module\n  ${memory}${KERNEL_NAMES.map((name) => fields[name]).join('')}\n)\n`;
}
