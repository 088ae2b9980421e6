// The CLI's entry point (dist/cli.js). A sampled run needs the kernel threads, and a worker thread takes some 60 ms to
// boot: they are started first, so that they boot on the other cores while this thread loads the engine, which is
// required only then (a static import would load it before any line here runs). The arguments are read properly by
// main (main.ts); this only guesses whether the run is sampled, and a wrong guess costs a thread's boot, nothing else.
import { startCliKernels } from './cliKernels';

const argv = process.argv.slice(2);
const mode = argv.indexOf('--mode');
const sampled = argv[0] === 'analyze' && !argv.includes('-h') && !argv.includes('--help') && (mode < 0 || argv[mode + 1] !== 'analytic');
const kernels = sampled ? startCliKernels() : undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { main } = require('./main') as typeof import('./main');
process.exitCode = main(argv, (s) => process.stdout.write(s + '\n'), (s) => process.stderr.write(s + '\n'), kernels);
