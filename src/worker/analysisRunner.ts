import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Report } from '../engine';
import type { Analyze, WorkerToHost } from '../protocol/workerProtocol';
import { validateWorkerToHost } from '../protocol/validateWorkerMessage';

/** How long a cancelled run may take to stop at its next layer before its worker is replaced. */
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
  message: Analyze;
  resolve(result: RunResult): void;
  reject(err: Error): void;
  onProgress(fraction: number): void;
  cancelled: boolean;
  watchdog?: ReturnType<typeof setTimeout>;
}

/**
 * Runs analyses in one long-lived worker thread (started on the first run, so the WebAssembly kernels and their
 * thread pool load once and stay warm), one run at a time in order. Cancelling a run rejects its promise at once,
 * with AnalysisCancelled, and raises the run's shared flag, which the engine checks between layers; a run that has
 * not stopped within STOP_GRACE_MS has its worker terminated and replaced, and the runs queued behind it go to the new
 * worker. A worker that dies, or breaks the protocol (every message it sends is validated), fails its runs with the
 * reason. Nothing heavy ever runs on the extension host's thread.
 */
export class AnalysisRunner {
  private nextId = 1;
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly distDir: string) {}

  /** The worker's thread id, or null before the first run and after it stopped (for tests and logs). */
  get workerThreadId(): number | null {
    return this.worker?.threadId ?? null;
  }

  /** Analyzes `request.text` in the worker; rejects with AnalysisCancelled once `cancelled` fires. */
  run(request: Pick<Analyze, 'text' | 'options'>, onProgress: (fraction: number) => void, cancelled: { onCancellationRequested(listener: () => void): unknown }): Promise<RunResult> {
    const id = this.nextId++;
    return new Promise<RunResult>((resolve, reject) => {
      const message: Analyze = { type: 'analyze', id, text: request.text, options: request.options, cancel: new Int32Array(new SharedArrayBuffer(4)) };
      const entry: Pending = { message, resolve, reject, onProgress, cancelled: false };
      this.pending.set(id, entry);
      cancelled.onCancellationRequested(() => this.cancel(entry));
      this.ensureWorker().postMessage(entry.message);
    });
  }

  dispose(): void {
    const worker = this.worker;
    this.worker = null;
    for (const entry of this.pending.values()) this.settle(entry, new Error('Init Inspector is shutting down'));
    void worker?.terminate();
  }

  private cancel(entry: Pending): void {
    if (entry.cancelled || !this.pending.has(entry.message.id)) return;
    entry.cancelled = true;
    Atomics.store(entry.message.cancel, 0, 1);
    entry.reject(new AnalysisCancelled());
    entry.watchdog = setTimeout(() => this.replaceWorker(), STOP_GRACE_MS);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(path.join(this.distDir, 'engineWorker.js'));
    worker.on('message', (raw: unknown) => {
      const message = validateWorkerToHost(raw);
      if (message) this.onMessage(message);
      else this.stopWorker(worker, 'it sent a malformed message');
    });
    worker.on('error', (err) => this.onExit(worker, err.message));
    worker.on('exit', (code) => this.onExit(worker, `exit code ${code}`));
    this.worker = worker;
    return worker;
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

  /** Stops a worker that broke the protocol: its runs fail with the reason, and the next run gets a fresh worker. */
  private stopWorker(worker: Worker, reason: string): void {
    this.onExit(worker, reason);
    void worker.terminate();
  }

  /** A worker ended: its runs fail with the reason (cancelled ones are already settled). */
  private onExit(worker: Worker, reason: string): void {
    if (worker !== this.worker) return;
    this.worker = null;
    for (const entry of [...this.pending.values()]) this.settle(entry, new Error(`the engine worker stopped (${reason})`));
  }

  /** Terminates a worker stuck in a cancelled run and hands the runs queued behind it to a fresh one. */
  private replaceWorker(): void {
    const stuck = this.worker;
    this.worker = null;
    void stuck?.terminate();
    for (const entry of [...this.pending.values()]) {
      if (entry.cancelled) this.settle(entry, new AnalysisCancelled());
      else this.ensureWorker().postMessage(entry.message);
    }
  }
}
