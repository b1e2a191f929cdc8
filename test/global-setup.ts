import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Every temp directory the suite makes (data dirs, clients files, keys, private Redis
 * files) lands under one per-run root, removed when the run ends, so runs leave no litter
 * in the machine's /tmp. Workers inherit TMPDIR, which `os.tmpdir()` reads.
 */
export default function setup(): () => void {
  const root = mkdtempSync(path.join(tmpdir(), 'codex-gateway-tests-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
