import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze, type ComputeBackend, DEFAULT_BUDGET, isValidBatchSize, isValidSeed, type Mode, pointerLocator, type Report, RUN_BOUNDS } from '../engine';
import { loadComputeBackend } from '../kernels/loadComputeBackend';
import { formatReport } from '../engine/report/formatReport';

const USAGE = `Usage: init-inspector analyze FILE... [options]

Initializes each network description, propagates a seeded batch forward and backward,
and reports per-layer statistics beside the mean-field prediction, with findings.

Options:
  --json                 print one JSON report per file (an array when several files)
  --mode MODE            sampled | analytic | both (default both)
  --seed N               override the file's seed (${RUN_BOUNDS.seed.min} to ${RUN_BOUNDS.seed.max})
  --batch-size N         override the file's batch_size (${RUN_BOUNDS.batchSize.min} to ${RUN_BOUNDS.batchSize.max})
  --max-gflop N          refuse sampled runs above N GFLOP per forward pass (default ${DEFAULT_BUDGET.flops / 1e9})
  --max-memory-mib N     refuse sampled runs above N MiB (default ${DEFAULT_BUDGET.bytes / 1024 ** 2})
  -h, --help             show this help

Exit codes: 0 no error-level finding, 1 error-level findings or problems, 2 invalid input or usage.`;

class UsageError extends Error {}

interface CliOptions {
  files: string[];
  json: boolean;
  mode: Mode;
  seed?: number;
  batchSize?: number;
  budget: { flops: number; bytes: number };
}

function parseArgs(argv: string[]): CliOptions | 'help' {
  if (argv.includes('-h') || argv.includes('--help')) return 'help';
  const [command, ...rest] = argv;
  if (command !== 'analyze') throw new UsageError(command ? `unknown command '${command}'; expected: analyze` : 'missing command; expected: analyze');
  const options: CliOptions = { files: [], json: false, mode: 'both', budget: { ...DEFAULT_BUDGET } };
  const integer = (flag: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < min) throw new UsageError(`${flag} needs a whole number >= ${min}, got ${value ?? 'nothing'}`);
    return n;
  };
  /** A whole number the engine accepts (`isValid`, within `bounds`), for --seed and --batch-size. */
  const bounded = (flag: string, value: string | undefined, isValid: (n: unknown) => boolean, bounds: { min: number; max: number }): number => {
    const n = Number(value);
    if (value === undefined || !isValid(n)) throw new UsageError(`${flag} needs a whole number from ${bounds.min} to ${bounds.max}, got ${value ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    switch (arg) {
      case '--json': options.json = true; break;
      case '--mode': {
        const m = rest[++i];
        if (m !== 'sampled' && m !== 'analytic' && m !== 'both') throw new UsageError(`--mode must be one of: sampled, analytic, both; got ${m ?? 'nothing'}`);
        options.mode = m;
        break;
      }
      case '--seed': options.seed = bounded(arg, rest[++i], isValidSeed, RUN_BOUNDS.seed); break;
      case '--batch-size': options.batchSize = bounded(arg, rest[++i], isValidBatchSize, RUN_BOUNDS.batchSize); break;
      case '--max-gflop': options.budget.flops = integer(arg, rest[++i], 0) * 1e9; break;
      case '--max-memory-mib': options.budget.bytes = integer(arg, rest[++i], 1) * 1024 ** 2; break;
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option '${arg}'`);
        options.files.push(arg);
    }
  }
  if (options.files.length === 0) throw new UsageError('no FILE given');
  return options;
}

/** Runs the CLI; returns the exit code (ESLint's: 0 clean, 1 error findings, 2 invalid input or usage). */
export function main(argv: string[], out: (s: string) => void, err: (s: string) => void): number {
  let options: CliOptions | 'help';
  try {
    options = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`init-inspector: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    out(USAGE);
    return 0;
  }
  let code = 0;
  const reports: Report[] = [];
  // The kernels and their threads only serve sampled runs. dist/cli.js sits beside dist/kernels.wasm; from
  // out/src/cli/ (the tests) the kernels are in ../../../dist.
  let backend: ComputeBackend | undefined;
  if (options.mode !== 'analytic') {
    const distDir = [__dirname, path.join(__dirname, '..', '..', '..', 'dist')].find((d) => fs.existsSync(path.join(d, 'kernels.wasm'))) ?? __dirname;
    const loaded = loadComputeBackend(distDir);
    if (loaded.note) err(`init-inspector: ${loaded.note}`);
    backend = loaded.backend;
  }
  for (const file of options.files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      err(`${file}: cannot read: ${(e as Error).message}`);
      code = 2;
      continue;
    }
    const report = analyze(text, { mode: options.mode, seed: options.seed, batchSize: options.batchSize, budget: options.budget, file, backend });
    reports.push(report);
    if (report.problems.some((p) => p.severity === 'error')) code = 2;
    else if (report.findings.some((f) => f.severity === 'error') && code === 0) code = 1;
    if (!options.json) out(formatReport(report, pointerLocator(text), file) + '\n');
  }
  if (options.json) out(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2));
  return code;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), (s) => process.stdout.write(s + '\n'), (s) => process.stderr.write(s + '\n'));
}
