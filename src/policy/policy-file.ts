import { open } from 'node:fs/promises';
import { MAX_POLICY_FILE_BYTES } from './compile.js';

/**
 * Adapter: reads the raw bytes of a policy file, refusing more than
 * MAX_POLICY_FILE_BYTES (+1 byte is read so an oversized file is seen as such by
 * `compilePolicy` even if it grew between fstat and read). Throws a plain Error whose
 * message names the failure (`ENOENT`, …) but never the file contents.
 */
export async function readPolicyFile(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(MAX_POLICY_FILE_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return new Uint8Array(buffer.subarray(0, length));
  } finally {
    await handle.close();
  }
}
