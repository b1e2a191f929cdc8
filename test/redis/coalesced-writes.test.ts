import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRedisClient, waitForRedis } from '../../src/redis/connection.js';
import {
  describeWithRedis,
  sharedRedis,
  startPrivateRedis,
  type PrivateRedis,
} from '../helpers/redis.js';

// The shared probe decides skip/fail; the reconnect needs a server of the test's own.
const env = await sharedRedis('coalesced-writes');

/** Counts the socket's writes to the kernel (`_write` / `_writev` calls) from now on. */
function countWrites(socket: Socket): { readonly count: () => number } {
  let n = 0;
  const s = socket as unknown as Record<'_write' | '_writev', (...a: unknown[]) => unknown>;
  for (const name of ['_write', '_writev'] as const) {
    const inner = s[name].bind(socket);
    s[name] = (...args: unknown[]) => {
      n += 1;
      return inner(...args);
    };
  }
  return { count: () => n };
}

describeWithRedis(env, 'Redis commands of one event-loop turn share one write', () => {
  let server: PrivateRedis;
  let client: Redis;
  beforeAll(async () => {
    server = await startPrivateRedis();
    client = createRedisClient({ url: server.url });
    expect(await waitForRedis(client, 5000)).toBe(true);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  it('50 commands issued in one turn leave in one write, and each gets its own reply', async () => {
    const writes = countWrites(client.stream);
    const replies = await Promise.all(Array.from({ length: 50 }, () => client.incr('burst')));
    expect(writes.count()).toBe(1);
    expect(replies).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('commands of separate turns are not held back', async () => {
    const writes = countWrites(client.stream);
    for (let i = 1; i <= 3; i++) expect(await client.incr('one-by-one')).toBe(i);
    expect(writes.count()).toBe(3);
  });

  it('a reconnected client coalesces on its new connection', async () => {
    const old = client.stream;
    await server.stop();
    await server.restart();
    expect(await waitForRedis(client, 10_000)).toBe(true);
    expect(client.stream).not.toBe(old);
    const writes = countWrites(client.stream);
    const replies = await Promise.all(Array.from({ length: 20 }, () => client.incr('after')));
    expect(writes.count()).toBe(1);
    expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
