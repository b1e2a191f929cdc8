/**
 * The bench's request body, shared by the load phases (bench/run.mjs) and the micro
 * benchmarks that send or time it (bench/micro/body.bench.mjs, instructions.bench.mjs), so
 * all measure the same bytes.
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

/**
 * The body sizes this run measures: `BENCH_SIZES=1KiB` (comma-separated labels) keeps only
 * those, for quicker A/B runs; unset, all of them.
 */
export function selectedBodySizes() {
  const only = process.env.BENCH_SIZES?.split(',');
  return Object.fromEntries(
    Object.entries(BODY_SIZES).filter(([label]) => only === undefined || only.includes(label)),
  );
}
