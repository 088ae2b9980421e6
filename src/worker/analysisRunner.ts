import { type ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import type { Report } from '../engine';
import type { AnalyzeRun, HostToEngine } from '../protocol/engineProtocol';
import type { WorkerToHost } from '../protocol/workerProtocol';
import { validateWorkerToHost } from '../protocol/validateWorkerMessage';
import { ENGINE_EXEC_ARGV } from './engineLimits';

/** How long a cancelled run may take to stop at its next layer before its engine process is killed and replaced. */
const STOP_GRACE_MS = 3000;

/** How a cancelled run's promise rejects: a type to test with `instanceof`, not a message to compare. */
export class AnalysisCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'AnalysisCancelled';
  }
}

/** A finished run: its report, and the wall time of the engine's `analyze()` call in the worker. */
export interface RunResult {
  report: Report;
  engineMs: number;
}

interface Pending {
  message: AnalyzeRun;
  resolve(result: RunResult): void;
  reject(err: Error): void;
  onProgress(fraction: number): void;
  cancelled: boolean;
  watchdog?: ReturnType<typeof setTimeout>;
}

/**
 * Runs analyses in the engine's own process (`dist/engineProcess.js`, forked from the extension host's Node with the
 * engine's V8 flags and memory caps, engineLimits.ts), started on the first run and kept, so the WebAssembly kernels
 * and their threads load once and stay warm; one run at a time, in order. Nothing the engine does reaches the
 * extension host: not its V8 flags, not its memory, not a crash. Cancelling a run rejects its promise at once, with
 * AnalysisCancelled, and sends `cancel`, which the engine process turns into its worker's shared flag: the run stops
 * at its next layer boundary. A run that has not stopped within STOP_GRACE_MS has its process killed and replaced, and
 * the runs queued behind it go to the new one. A process that dies (killed, out of memory) or breaks the protocol
 * (every message it sends is validated) fails its runs with the reason; the next run starts a fresh one.
 */
export class AnalysisRunner {
  private nextId = 1;
  private engine: ChildProcess | null = null;
  private readonly pending = new Map<number, Pending>();

  /** `distDir` holds engineProcess.js and what it loads (engineWorker.js, kernelThread.js, kernels.wasm). */
  constructor(private readonly distDir: string) {}

  /** The engine process's id, or null before the first run and after it stopped (for tests and logs). */
  get enginePid(): number | null {
    return this.engine?.pid ?? null;
  }

  /** @deprecated the engine is a process now: its id, as `enginePid`. */
  get workerThreadId(): number | null {
    return this.enginePid;
  }

  /** Analyzes `request.text` in the engine process; rejects with AnalysisCancelled once `cancelled` fires. */
  run(request: Pick<AnalyzeRun, 'text' | 'options'>, onProgress: (fraction: number) => void, cancelled: { onCancellationRequested(listener: () => void): unknown }): Promise<RunResult> {
    const id = this.nextId++;
    return new Promise<RunResult>((resolve, reject) => {
      const message: AnalyzeRun = { type: 'analyze', id, text: request.text, options: request.options };
      const entry: Pending = { message, resolve, reject, onProgress, cancelled: false };
      this.pending.set(id, entry);
      cancelled.onCancellationRequested(() => this.cancel(entry));
      this.send(this.ensureEngine(), entry.message);
    });
  }

  dispose(): void {
    const engine = this.engine;
    this.engine = null;
    for (const entry of this.pending.values()) this.settle(entry, new Error('Init Inspector is shutting down'));
    engine?.kill('SIGKILL');
  }

  private cancel(entry: Pending): void {
    if (entry.cancelled || !this.pending.has(entry.message.id)) return;
    entry.cancelled = true;
    if (this.engine) this.send(this.engine, { type: 'cancel', id: entry.message.id });
    entry.reject(new AnalysisCancelled());
    entry.watchdog = setTimeout(() => this.replaceEngine(), STOP_GRACE_MS);
  }

  private send(engine: ChildProcess, message: HostToEngine): void {
    // A process that has just died cannot take it; its 'exit' fails the run.
    if (engine.connected) engine.send(message, (err) => { if (err) this.stopEngine(engine, `it could not be sent a message: ${err.message}`); });
  }

  private ensureEngine(): ChildProcess {
    if (this.engine) return this.engine;
    const engine = fork(path.join(this.distDir, 'engineProcess.js'), [], {
      // The extension host's own Node (under desktop VS Code an Electron binary, which runs as Node with
      // ELECTRON_RUN_AS_NODE), with the engine's flags and not the host's (an --inspect port, say).
      execPath: process.execPath,
      execArgv: [...ENGINE_EXEC_ARGV],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      // Structured clone, as between threads: a report keeps its NaN and Infinity (JSON would make them null).
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    engine.on('message', (raw: unknown) => {
      const message = validateWorkerToHost(raw);
      if (message) this.onMessage(message);
      else this.stopEngine(engine, 'it sent a malformed message');
    });
    engine.on('error', (err) => this.onExit(engine, err.message));
    engine.on('exit', (code, signal) => this.onExit(engine, signal ? `killed by ${signal}` : `exit code ${code}`));
    this.engine = engine;
    return engine;
  }

  private onMessage(message: WorkerToHost): void {
    const entry = this.pending.get(message.id);
    if (!entry) return;
    switch (message.type) {
      case 'runProgressed':
        if (!entry.cancelled) entry.onProgress(message.fraction);
        return;
      case 'runCompleted':
        this.settle(entry, { report: message.report, engineMs: message.engineMs });
        return;
      case 'runFailed':
        this.settle(entry, new Error(message.message));
        return;
      case 'runCancelled':
        this.settle(entry, new AnalysisCancelled());
        return;
      default: {
        const never: never = message;
        return never;
      }
    }
  }

  /** Finishes a run (a cancelled one was already rejected: its late result is dropped). */
  private settle(entry: Pending, outcome: RunResult | Error): void {
    this.pending.delete(entry.message.id);
    clearTimeout(entry.watchdog);
    if (entry.cancelled) return;
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome);
  }

  /** Stops an engine that broke the protocol: its runs fail with the reason, and the next run gets a fresh process. */
  private stopEngine(engine: ChildProcess, reason: string): void {
    this.onExit(engine, reason);
    engine.kill('SIGKILL');
  }

  /** An engine process ended: its runs fail with the reason (cancelled ones are already settled). */
  private onExit(engine: ChildProcess, reason: string): void {
    if (engine !== this.engine) return;
    this.engine = null;
    for (const entry of [...this.pending.values()]) this.settle(entry, new Error(`the engine process stopped (${reason})`));
  }

  /** Kills an engine stuck in a cancelled run and hands the runs queued behind it to a fresh one. */
  private replaceEngine(): void {
    const stuck = this.engine;
    this.engine = null;
    stuck?.kill('SIGKILL');
    for (const entry of [...this.pending.values()]) {
      if (entry.cancelled) this.settle(entry, new AnalysisCancelled());
      else this.send(this.ensureEngine(), entry.message);
    }
  }
}
