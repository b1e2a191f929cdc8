/**
 * Rules for the relative paths named in a manifest or a provenance subject. Both documents
 * travel beside the artifact and may be tampered with, so a name must not climb out of the
 * artifact root or smuggle characters that change meaning in a shell or a line format.
 */
const MAX_PATH_LENGTH = 512;

/** Why `path` is not an acceptable artifact path, or undefined when it is. */
export function artifactPathProblem(path: string): string | undefined {
  if (path.length === 0 || path.length > MAX_PATH_LENGTH) return 'empty or too long';
  if (path.startsWith('/')) return 'absolute path';
  // Control characters (newline, NUL...) and backslashes are refused outright.
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || code === 0x5c) return 'forbidden character';
  }
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return 'empty, . or .. segment';
  }
  return undefined;
}
