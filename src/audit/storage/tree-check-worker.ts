/**
 * Worker-thread entry (see tree-check.ts): checks the interior hashes, then, if the tree
 * is sound and there is a block board, checks record blocks from the back until it meets
 * the main thread; posts the tree result when done with both.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BlockBoard } from './block-board.js';
import { checkBlocksFromBack, recordReaders } from './record-check.js';
import { type WorkerJob, checkInteriorHashes } from './tree-check.js';

const { fd, fileSize, leaves, records } = workerData as WorkerJob;
const tree = checkInteriorHashes(fd, fileSize, leaves);
if (tree.badHash === null && records !== undefined) {
  checkBlocksFromBack(recordReaders(records.files), new BlockBoard(records.board));
}
parentPort?.postMessage(tree);
