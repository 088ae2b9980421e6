import * as assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { awaitJob, claimParts, createJobBoard, postJob } from '../../src/kernels/kernelJobs';

suite('the kernel threads\' job board', () => {
  test('every part runs once, with its own arguments', () => {
    const board = createJobBoard(8);
    const seen: number[][] = [];
    postJob(board, 3, [[1, 2], [3], [4, 5, 6]]);
    assert.equal(claimParts(board, (kernel, args) => { assert.equal(kernel, 3); seen.push(args); }), null);
    awaitJob(board);
    assert.deepEqual(seen, [[1, 2], [3], [4, 5, 6]]);
  });

  test('a part that throws still counts as done: the job ends, failed, instead of hanging', () => {
    const board = createJobBoard(8);
    postJob(board, 0, [[0], [1], [2]]);
    const error = claimParts(board, (_, [p]) => { if (p === 1) throw new Error('trap'); });
    assert.match(String(error), /trap/);
    assert.throws(() => awaitJob(board), /kernel failed/);
  });

  test('parts nobody finishes make the wait give up with a message', () => {
    const board = createJobBoard(8);
    postJob(board, 0, [[0], [1]]);
    assert.throws(() => awaitJob(board, 1000), /kernel threads stopped: 2 of 2 parts unfinished/);
  });
});

suite('the job board under real threads', () => {
  test('2,000 jobs back to back over 3 threads: every part of every job runs exactly once', async () => {
    const board = createJobBoard(16);
    // runs[job * 8 + part] counts the runs of each part; the "kernel" is that increment.
    const JOBS = 2000, PARTS = 7;
    const runs = new Int32Array(new SharedArrayBuffer(JOBS * 8 * 4));
    const source = `
      const { workerData } = require('node:worker_threads');
      const { serveJobs } = require(${JSON.stringify(require.resolve('../../src/kernels/kernelJobs'))});
      const { parentPort } = require('node:worker_threads');
      const runs = workerData.runs;
      const spin = () => { const end = performance.now() + 0.02; while (performance.now() < end); };
      parentPort.postMessage('up');
      serveJobs(workerData.board, (_, [job, part]) => { spin(); Atomics.add(runs, job * 8 + part, 1); });`;
    const workers = [0, 1].map(() => new Worker(source, { eval: true, workerData: { board, runs } }));
    const spin = (): void => { const end = performance.now() + 0.02; while (performance.now() < end); };
    try {
      await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
      let here = 0;
      for (let job = 0; job < JOBS; job++) {
        const parts = Array.from({ length: PARTS }, (_, part) => [job, part]);
        postJob(board, 0, parts);
        const error = claimParts(board, (_, [j, part]) => { here++; spin(); Atomics.add(runs, j * 8 + part, 1); });
        awaitJob(board);
        assert.equal(error, null);
      }
      for (let job = 0; job < JOBS; job++) for (let part = 0; part < PARTS; part++) assert.equal(runs[job * 8 + part], 1, `job ${job} part ${part}`);
      assert.ok(here < JOBS * PARTS, `the other threads ran ${JOBS * PARTS - here} of the ${JOBS * PARTS} parts`);
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  });
});
