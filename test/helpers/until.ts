/**
 * Polls `read` every 100 ms until `ok` holds for its value, and returns that value; throws
 * (with the last value) when `ms` pass first. For tests that wait on a real process.
 */
export async function until<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > end)
      throw new Error(`condition not met in ${ms} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
