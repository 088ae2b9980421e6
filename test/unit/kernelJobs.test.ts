import * as assert from 'node:assert/strict';
import { awaitJob, claimParts, createJobBoard, postJob } from '../../src/kernelJobs';

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
