import { open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { AuditFailure } from './audit-http.js';

/** What `audit verify --state FILE` remembers between runs: the last verified tree head. */
export interface AuditorState {
  readonly origin: string;
  readonly size: number;
  /** Lowercase hex root. */
  readonly root: string;
  /** The signed note it came from, kept as evidence. */
  readonly checkpoint: string;
}

/** Reads the state file; undefined when it does not exist yet. A damaged file is a failure. */
export async function readAuditorState(file: string): Promise<AuditorState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AuditFailure(`cannot read state file ${file}`);
  }
  try {
    const s = JSON.parse(text) as Partial<AuditorState>;
    if (
      typeof s.origin === 'string' &&
      Number.isSafeInteger(s.size) &&
      (s.size as number) >= 0 &&
      typeof s.root === 'string' &&
      /^[0-9a-f]{64}$/.test(s.root) &&
      typeof s.checkpoint === 'string'
    )
      return s as AuditorState;
  } catch {
    // fall through
  }
  throw new AuditFailure(`state file ${file} is damaged; refusing to trust or overwrite it`);
}

/** Replaces the state file atomically: temp file, fsync, rename, fsync of the directory. */
export async function writeAuditorState(file: string, state: AuditorState): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify(state, null, 2) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  const dir = await open(path.dirname(path.resolve(file)), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
