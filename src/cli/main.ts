import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { analyze, type ComputeBackend, DEFAULT_BUDGET, isValidBatchSize, isValidSeed, isZip, kerasZipText, MAX_BUDGET, type Mode, type Report, RUN_BOUNDS, sourceLocator } from '../engine';
import { loadComputeBackend } from '../kernels/loadComputeBackend';
import { formatReport } from '../engine/report/formatReport';

/** Longest sequence `--tokens` accepts (a model's own positions cap it further). */
const MAX_TOKENS = 65536;

const USAGE = `Usage: init-inspector analyze FILE... [options]

Initializes each network description, propagates a seeded batch forward and backward,
and reports per-layer statistics beside the mean-field prediction, with findings.

Options:
  --json                 print one JSON report per file (an array when several files)
  --all-layers           list every layer in the table (by default 4 or more repeated blocks are one row,
                         with each statistic's range over the blocks)
  --mode MODE            sampled | analytic | both (default both)
  --seed N               override the file's seed (${RUN_BOUNDS.seed.min} to ${RUN_BOUNDS.seed.max})
  --batch-size N         override the file's batch_size (${RUN_BOUNDS.batchSize.min} to ${RUN_BOUNDS.batchSize.max}; a framework's config: default 1)
  --tokens N             the sequence length of a framework's config (a Hugging Face or GPT-NeoX config; 1 to ${MAX_TOKENS},
                         default 32, at most the model's positions)
  --max-gflop N          refuse sampled runs above N GFLOP per forward pass (0 to ${MAX_BUDGET.flops / 1e9}, default ${DEFAULT_BUDGET.flops / 1e9})
  --max-memory-mib N     refuse sampled runs above N MiB (1 to ${MAX_BUDGET.bytes / 1024 ** 2}, default ${DEFAULT_BUDGET.bytes / 1024 ** 2})
  -h, --help             show this help

FILE is a network description (JSON, comments allowed; a UTF-8 byte-order mark is skipped), a Hugging Face
config.json (model_type gpt2, bert, roberta, llama, mistral, qwen2, gpt_neox, t5 or vit), a Keras model JSON
(Keras 2 or 3 model.to_json()) or .keras zip, a TF.js model.json, or a GPT-NeoX YAML config (EleutherAI/gpt-neox's
own, as Pythia's); it must be a regular file.

Exit codes (as ESLint's): 0 no error-level finding, 1 error-level findings, 2 invalid input (a file that cannot be
read or has error-level problems) or usage.`;

class UsageError extends Error {}

interface CliOptions {
  files: string[];
  json: boolean;
  allLayers: boolean;
  mode: Mode;
  seed?: number;
  batchSize?: number;
  tokens?: number;
  budget: { flops: number; bytes: number };
}

function parseArgs(argv: string[]): CliOptions | 'help' {
  if (argv.includes('-h') || argv.includes('--help')) return 'help';
  const [command, ...rest] = argv;
  if (command !== 'analyze') throw new UsageError(command ? `unknown command '${command}'; expected: analyze` : 'missing command; expected: analyze');
  const options: CliOptions = { files: [], json: false, allLayers: false, mode: 'both', budget: { ...DEFAULT_BUDGET } };
  /**
   * A whole number in decimal digits within [min, max]: not empty, no sign, exponent, hex or spaces (Number() would
   * read '' as 0, '0x10' as 16 and '1e3' as 1000, and a seed of 2³² would silently wrap in the generator).
   */
  const whole = (flag: string, value: string | undefined, min: number, max: number, isValid: (n: number) => boolean = () => true): number => {
    const n = value !== undefined && /^[0-9]+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max || !isValid(n)) throw new UsageError(`${flag} needs a whole number from ${min} to ${max}, got ${value === undefined ? 'nothing' : `'${value}'`}`);
    return n;
  };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    switch (arg) {
      case '--json': options.json = true; break;
      case '--all-layers': options.allLayers = true; break;
      case '--mode': {
        const m = rest[++i];
        if (m !== 'sampled' && m !== 'analytic' && m !== 'both') throw new UsageError(`--mode must be one of: sampled, analytic, both; got ${m ?? 'nothing'}`);
        options.mode = m;
        break;
      }
      case '--seed': options.seed = whole(arg, rest[++i], RUN_BOUNDS.seed.min, RUN_BOUNDS.seed.max, isValidSeed); break;
      case '--batch-size': options.batchSize = whole(arg, rest[++i], RUN_BOUNDS.batchSize.min, RUN_BOUNDS.batchSize.max, isValidBatchSize); break;
      case '--tokens': options.tokens = whole(arg, rest[++i], 1, MAX_TOKENS); break;
      case '--max-gflop': options.budget.flops = whole(arg, rest[++i], 0, MAX_BUDGET.flops / 1e9) * 1e9; break;
      case '--max-memory-mib': options.budget.bytes = whole(arg, rest[++i], 1, MAX_BUDGET.bytes / 1024 ** 2) * 1024 ** 2; break;
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
    // The kernels from their first call on V8's optimizing tier (see ENGINE_EXEC_ARGV): a process-wide flag, and this
    // process is the CLI's own.
    v8.setFlagsFromString('--no-wasm-dynamic-tiering');
    const loaded = loadComputeBackend(distDir);
    if (loaded.note) err(`init-inspector: ${loaded.note}`);
    backend = loaded.backend;
  }
  for (const file of options.files) {
    const text = readNetworkFile(file, err);
    if (text === null) {
      code = 2;
      continue;
    }
    const report = analyze(text, { mode: options.mode, seed: options.seed, batchSize: options.batchSize, tokens: options.tokens, budget: options.budget, file, backend });
    reports.push(report);
    if (report.problems.some((p) => p.severity === 'error')) code = 2;
    else if (report.findings.some((f) => f.severity === 'error') && code === 0) code = 1;
    if (!options.json) out(formatReport(report, sourceLocator(text), file, { allLayers: options.allLayers }) + '\n');
  }
  if (options.json) out(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2));
  return code;
}

/**
 * The text of a network file as VS Code reads it: UTF-8, a leading byte-order mark skipped. Only a regular file is
 * read (a FIFO or a device would block or never end; a folder is no file); otherwise, or when it cannot be read, the
 * reason goes to `err` and the result is null.
 */
function readNetworkFile(file: string, err: (s: string) => void): string | null {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) {
      err(`${file}: not a regular file (${stat.isDirectory() ? 'a folder' : stat.isFIFO() ? 'a pipe' : 'a device or socket'}); give a network description file`);
      return null;
    }
    const bytes = fs.readFileSync(file);
    if (isZip(bytes)) {
      // A Keras .keras zip: its config.json, with the zip's Keras version.
      const config = kerasZipText(bytes);
      if (config === null) err(`${file}: a zip without a readable config.json: not a .keras model (Keras 3, tf.keras 2.13+)`);
      return config;
    }
    const text = bytes.toString('utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (e) {
    err(`${file}: cannot read: ${(e as Error).message}`);
    return null;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), (s) => process.stdout.write(s + '\n'), (s) => process.stderr.write(s + '\n'));
}
