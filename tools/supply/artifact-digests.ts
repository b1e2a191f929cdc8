import {
  hashFile,
  listArtifactFiles,
  type ArtifactDigest,
} from '../../src/provenance/artifact-files.js';

/**
 * Every artifact file under `root` with its digest (the manifest and the provenance
 * subjects), listed by the same rules `codex-gateway provenance verify` applies.
 */
export async function hashArtifact(root: string): Promise<ArtifactDigest[]> {
  const entries: ArtifactDigest[] = [];
  for (const path of await listArtifactFiles(root))
    entries.push({ path, sha256: await hashFile(root, path) });
  return entries;
}
