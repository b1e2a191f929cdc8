/** Worker-thread entry: runs checkInteriorHashes and posts the result (see tree-check.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { checkInteriorHashes } from './tree-check.js';

const { fd, fileSize, leaves } = workerData as { fd: number; fileSize: number; leaves: number };
parentPort?.postMessage(checkInteriorHashes(fd, fileSize, leaves));
