/**
 * The bench's request body, shared by the load phases (bench/run.mjs) and the micro
 * benchmark of the body's own work (bench/micro/body.bench.mjs), so both measure the same
 * bytes.
 */

/** A valid event (docs/protocol.md §3) of exactly `size` bytes, padded inside metadata. */
export function eventOfSize(size) {
  const base = {
    action: 'build',
    target: 'acme/web',
    steps: [{ name: 'build', run: 'npm run build' }],
    metadata: { pad: '' },
  };
  const overhead = Buffer.byteLength(JSON.stringify(base));
  base.metadata.pad = 'x'.repeat(size - overhead);
  const text = JSON.stringify(base);
  if (Buffer.byteLength(text) !== size) throw new Error('body size mismatch');
  return text;
}

/** The body sizes the bench runs, by label. */
export const BODY_SIZES = { '1KiB': 1024, '64KiB': 65536 };
