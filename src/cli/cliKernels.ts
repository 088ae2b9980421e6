import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { startKernels, type StartedKernels } from '../kernels/startKernels';

/** Where dist/kernels.wasm is: beside dist/cli.js, or, from out/src/cli/ (the tests), in ../../../dist. */
export function kernelsDir(): string {
  return [__dirname, path.join(__dirname, '..', '..', '..', 'dist')].find((d) => fs.existsSync(path.join(d, 'kernels.wasm'))) ?? __dirname;
}

/**
 * The CLI's kernels, started: first V8's `--no-wasm-dynamic-tiering`, so that they run on the optimizing tier from
 * their first call (see ENGINE_EXEC_ARGV; a process-wide flag, and this process is the CLI's own), then the module,
 * its memory and its threads (startKernels).
 */
export function startCliKernels(): StartedKernels | string {
  v8.setFlagsFromString('--no-wasm-dynamic-tiering');
  return startKernels(kernelsDir());
}
