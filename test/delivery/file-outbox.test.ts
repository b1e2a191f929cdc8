import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FlushMode } from '../../src/audit/log-store.js';
import { RUNWAY_BYTES, RUNWAY_MAX_BATCH_BYTES } from '../../src/audit/storage/runway.js';
import type { NewDelivery } from '../../src/delivery/delivery.js';
import { JOURNAL_FILE, openFileOutbox, type FileOutbox } from '../../src/delivery/file-outbox.js';
import { encodeRecord, scanJournal } from '../../src/delivery/journal-format.js';
import { OutboxState } from '../../src/delivery/outbox-state.js';
import { owed, registryOf, tempOutboxDir } from './harness.js';

const WRITER = fileURLToPath(new URL('./fixtures/outbox-writer.ts', import.meta.url));
const { targets } = registryOf([{ id: 'a', url: 'http://127.0.0.1:9/x' }]);
const A = new Map([['a', 100]]);
const opened: FileOutbox[] = [];
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((o) => o.close()));
});

function open(dir: string, options = {}): FileOutbox {
  const o = openFileOutbox(dir, options);
  opened.push(o);
  return o;
}

async function reopen(o: FileOutbox, dir: string, options = {}): Promise<FileOutbox> {
  await o.close();
  opened.splice(opened.indexOf(o), 1);
  return open(dir, options);
}

describe('FileOutbox', () => {
  it('enqueues idempotently, claims with leases, settles, lists and retries', async () => {
    const dir = tempOutboxDir();
    const o = open(dir, { leaseMs: 1_000 });
    const ds = owed(targets, 3, 1_000);
    await o.enqueue(ds);
    await o.enqueue(ds); // the same ids again: nothing new
    expect((await o.list('pending', 10)).map((d) => d.id).sort()).toEqual(
      ds.map((d) => d.id).sort(),
    );
    expect(await o.stats()).toEqual({ pending: 3, oldestPendingMs: 1_000 });

    const claims = await o.claim(2_000, A, 10);
    expect(claims).toHaveLength(3);
    expect(await o.claim(2_000, A, 10)).toEqual([]); // leased
    const [c0, c1, c2] = claims as [(typeof claims)[0], (typeof claims)[0], (typeof claims)[0]];
    expect(await o.settle(c0, { state: 'delivered', attempts: 1, status: 200 }, 2_100)).toBe(true);
    expect(await o.settle(c0, { state: 'delivered', attempts: 1, status: 200 }, 2_100)).toBe(false);
    expect(await o.settle(c1, { state: 'dead', attempts: 1, status: 410 }, 2_200)).toBe(true);
    expect(
      await o.settle(
        c2,
        { state: 'pending', attempts: 1, status: null, nextAttemptAtMs: 5_000 },
        2_300,
      ),
    ).toBe(true);
    expect(await o.claim(4_999, A, 10)).toEqual([]);
    expect((await o.claim(5_000, A, 10)).map((c) => c.id)).toEqual([c2.id]);
    // Unsettled past its lease: claimable again, and the old lease can no longer settle.
    const again = await o.claim(6_001, A, 10);
    expect(again.map((c) => c.id)).toEqual([c2.id]);

    expect((await o.list('delivered', 10)).map((d) => [d.id, d.lastStatus, d.body])).toEqual([
      [c0.id, 200, ''],
    ]);
    expect((await o.list('dead', 10)).map((d) => [d.id, d.attempts, d.lastStatus])).toEqual([
      [c1.id, 1, 410],
    ]);
    expect(await o.retry('msg_' + '0'.repeat(32), 7_000)).toBe('unknown_delivery');
    expect(await o.retry(c0.id, 7_000)).toBe('delivery_not_dead');
    expect(await o.retry(c1.id, 7_000)).toBe('retried');
    const retried = (await o.list('pending', 10)).find((d) => d.id === c1.id);
    expect(retried).toMatchObject({
      attempts: 0,
      nextAttemptAtMs: 7_000,
      windowStartMs: 7_000,
      lastStatus: 410,
    });
  });

  for (const flush of ['pool', 'inline'] as const)
    it(`rebuilds exactly the acknowledged state on reopen (leases are not kept; ${flush} flushes)`, async () => {
      const dir = tempOutboxDir();
      let o = open(dir, { flush });
      const ds = owed(targets, 4, 1_000);
      await o.enqueue(ds);
      const [c0, c1] = await o.claim(1_000, A, 2);
      await o.settle(c0!, { state: 'delivered', attempts: 1, status: 202 }, 1_500);
      await o.settle(c1!, { state: 'dead', attempts: 30, status: null }, 1_600);
      await o.claim(1_000, A, 10); // leased, never settled: due again after a restart
      const before = await Promise.all(
        (['pending', 'delivered', 'dead'] as const).map((s) => o.list(s, 10)),
      );
      o = await reopen(o, dir);
      const after = await Promise.all(
        (['pending', 'delivered', 'dead'] as const).map((s) => o.list(s, 10)),
      );
      expect(after).toEqual(before);
      const rest = ds.filter((d) => d.id !== c0!.id && d.id !== c1!.id).map((d) => d.body);
      expect((await o.claim(1_000, A, 10)).map((c) => c.body).sort()).toEqual(rest.sort());
    });

  it('keeps a second process out of the directory', () => {
    const dir = tempOutboxDir();
    open(dir);
    // Same pid holds the lock: a second open in this process is refused too.
    expect(() => openFileOutbox(dir)).toThrow(/delivery outbox .* is already open in process/);
  });

  it('cuts a torn tail (an unacknowledged, half-written batch) and keeps the rest', async () => {
    const dir = tempOutboxDir();
    let o = open(dir);
    const ds = owed(targets, 3);
    await o.enqueue(ds);
    await o.close();
    opened.pop();
    const file = path.join(dir, JOURNAL_FILE);
    const size = statSync(file).size;
    appendFileSync(file, readFileSync(file).subarray(0, 50)); // a record cut short
    o = open(dir);
    expect((await o.list('pending', 10)).length).toBe(3);
    expect(statSync(file).size).toBe(size);
    await o.enqueue(owed(targets, 1));
    o = await reopen(o, dir);
    expect((await o.list('pending', 10)).length).toBe(4);
  });

  it('keeps zeros past the last record while open (the runway), and cuts them on close and after a crash', async () => {
    const dir = tempOutboxDir();
    const file = path.join(dir, JOURNAL_FILE);
    let o = open(dir);
    await o.enqueue(owed(targets, 3));
    const first = o.journalBytes;
    expect(statSync(file).size).toBe(first + RUNWAY_BYTES);
    await o.enqueue(owed(targets, 2)); // inside the runway: the file does not grow
    expect(statSync(file).size).toBe(first + RUNWAY_BYTES);
    const crashImage = readFileSync(file); // what a kill -9 leaves: the records, then zeros
    const acked = o.journalBytes;
    expect(crashImage.subarray(acked).every((b) => b === 0)).toBe(true);
    o = await reopen(o, dir);
    expect(statSync(file).size).toBe(acked); // a clean close cut the zeros
    await o.close();
    opened.pop();
    writeFileSync(file, crashImage);
    o = open(dir);
    expect(statSync(file).size).toBe(acked); // open() cut them as an unacknowledged tail
    expect(await o.list('pending', 10)).toHaveLength(5);

    // A batch larger than RUNWAY_MAX_BATCH_BYTES that runs past the zeros writes none.
    const big = owed(targets, 1).map((d) => ({ ...d, body: 'b'.repeat(RUNWAY_MAX_BATCH_BYTES) }));
    const freshDir = tempOutboxDir();
    const fresh = open(freshDir);
    await fresh.enqueue(big);
    expect(statSync(path.join(freshDir, JOURNAL_FILE)).size).toBe(fresh.journalBytes);
  });

  it('refuses to open, in one line, when an acknowledged record was damaged', async () => {
    const dir = tempOutboxDir();
    const o = open(dir);
    await o.enqueue(owed(targets, 3));
    await o.close();
    opened.pop();
    const file = path.join(dir, JOURNAL_FILE);
    const bytes = readFileSync(file);
    // Flip a byte inside the first record and pad so that much follows it: not a torn tail.
    bytes[60] = (bytes[60] as number) ^ 0xff;
    writeFileSync(file, bytes);
    truncateSync(file, bytes.length + 180 * 1024 * 1024); // sparse: cheap to make
    expect(() => openFileOutbox(dir)).toThrow(
      /^delivery outbox corrupt: outbox\.log record at byte 0 is damaged \(checksum\) and \d+ bytes follow$/,
    );
    // A checksum-valid record that does not parse: refused too.
    truncateSync(file, 0);
    const payload = Buffer.from('not json');
    const head = Buffer.alloc(36);
    head.writeUInt32LE(payload.length, 0);
    head.set((await import('node:crypto')).createHash('sha256').update(payload).digest(), 4);
    writeFileSync(file, Buffer.concat([head, payload]));
    expect(() => openFileOutbox(dir)).toThrow(
      /^delivery outbox corrupt: outbox\.log record at byte 0 is not JSON$/,
    );
  });

  it('refuses new deliveries past its body bound (the caller answers 503)', async () => {
    const o = open(tempOutboxDir(), { maxBodyBytes: 2_000 });
    await o.enqueue(owed(targets, 1));
    await expect(o.enqueue(owed(targets, 20))).rejects.toThrow(/outbox is full/);
  });

  it('decides on compaction without encoding its live state while a backlog grows', async () => {
    // Encoding every record to decide made each enqueue cost O(backlog) (5 enqueues/s at
    // ~24,000 pending), and, checked less often, stalled the event loop at each check.
    const sized = vi.spyOn(OutboxState.prototype, 'snapshot');
    try {
      const o = open(tempOutboxDir(), { compactFromBytes: 16 * 1024 });
      for (let i = 0; i < 1_500; i++) await o.enqueue(owed(targets, 1));
      expect(o.journalBytes).toBeGreaterThan(40 * 16 * 1024);
      expect(sized).not.toHaveBeenCalled(); // nothing was worth compacting, and nothing encoded
      expect(await o.list('pending', 2_000)).toHaveLength(1_500);
    } finally {
      sized.mockRestore();
    }
  });

  // The file outbox passes each record's encoded size (an `add` then measures its body from
  // it); a replayed journal does not.
  for (const framed of [false, true])
    it(`keeps its estimate of the snapshot size just above the real one (${framed ? 'record sizes given' : 'no sizes'})`, () => {
      const state = new OutboxState(3);
      const encoded = (): number =>
        state.snapshot().reduce((n, op) => n + encodeRecord(op).length, 0);
      const check = (): void => {
        const records = state.snapshot().length;
        expect(state.snapshotBytes).toBeGreaterThanOrEqual(encoded());
        expect(state.snapshotBytes).toBeLessThanOrEqual(encoded() + 48 * records);
      };
      const ds = owed(targets, 12, 1_000).map((d, i) =>
        i % 3 === 0 ? { ...d, body: `{"q":"\\"\u0001 é ✓ ${'x'.repeat(i * 50)}"}` } : d,
      );
      for (const d of ds) {
        const op = { op: 'add' as const, d };
        state.apply(op, framed ? encodeRecord(op).length : undefined);
      }
      check();
      const claims = state.claim(2_000, A, 12, 1_000, () => 'lease');
      check();
      claims.forEach((c, i) => {
        const settled =
          i < 5
            ? { state: 'delivered' as const, attempts: 1, status: 200 }
            : i < 8
              ? { state: 'dead' as const, attempts: 30, status: 503 }
              : { state: 'pending' as const, attempts: 29, status: 504, nextAttemptAtMs: 1e13 };
        state.apply(OutboxState.settleOp(c.id, settled, 1_700_000_000_000 + i));
        check(); // delivered ones past `keepDelivered` are trimmed as they come
      });
      state.apply({ op: 'retry', id: claims[6]!.id, at: 1_800_000_000_000 });
      check();
    });

  it('compacts the journal, keeping the live state across a reopen', async () => {
    const dir = tempOutboxDir();
    const options = { compactFromBytes: 64 * 1024, keepDelivered: 5 };
    let o = open(dir, options);
    let delivered = 0;
    for (let round = 0; round < 40; round++) {
      await o.enqueue(owed(targets, 10, 1_000 + round));
      for (const c of await o.claim(10_000, A, 8)) {
        await o.settle(c, { state: 'delivered', attempts: 1, status: 200 }, 10_000 + delivered++);
      }
    }
    expect(o.journalBytes).toBeLessThan(200 * 1024);
    const before = {
      pending: (await o.list('pending', 1000)).map((d) => d.id),
      delivered: (await o.list('delivered', 1000)).map((d) => d.id),
    };
    expect(before.pending).toHaveLength(80);
    expect(before.delivered).toHaveLength(5);
    o = await reopen(o, dir, options);
    expect((await o.list('pending', 1000)).map((d) => d.id)).toEqual(before.pending);
    expect((await o.list('delivered', 1000)).map((d) => d.id)).toEqual(before.delivered);
  });
});

describe('FileOutbox durability across SIGKILL', () => {
  function runAndKill(
    dir: string,
    tag: string,
    killAfterMs: number,
    pad: number,
    flush: FlushMode,
  ): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const args = ['--import', 'tsx', WRITER, dir, tag, String(pad), flush];
      const child = spawn(process.execPath, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const acked: string[] = [];
      let rest = '';
      let stderr = '';
      let timer: NodeJS.Timeout | undefined;
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.on('data', (d: Buffer) => {
        const lines = (rest + d.toString()).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) if (line.startsWith('msg_')) acked.push(line);
        if (acked.length > 0 && timer === undefined)
          timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      });
      child.on('close', (_code, signal) => {
        clearTimeout(timer);
        if (signal !== 'SIGKILL')
          reject(new Error(`writer exited without being killed: ${stderr}`));
        else resolve(acked);
      });
    });
  }

  // Both places the batches' fdatasyncs can run (audit/storage/flusher.ts).
  for (const flush of ['pool', 'inline'] as const)
    it(`never loses an acknowledged delivery (${flush} flushes)`, async () => {
      const dir = tempOutboxDir();
      const all = new Set<string>();
      let runwaysLeft = 0;
      const rounds = [
        { delay: 30, pad: 97 },
        { delay: 250, pad: 97 },
        { delay: 10, pad: 200_000 },
        { delay: 150, pad: 20_000 },
      ];
      for (const [i, r] of rounds.entries()) {
        const acked = await runAndKill(dir, `${i}`, r.delay, r.pad, flush);
        expect(acked.length).toBeGreaterThan(0);
        for (const id of acked) all.add(id);
        const image = readFileSync(path.join(dir, JOURNAL_FILE));
        const { end } = scanJournal(image);
        if (end < image.length && image.subarray(end).every((b) => b === 0)) runwaysLeft += 1;
        const o = openFileOutbox(dir);
        try {
          const present = new Set([
            ...(await o.list('pending', 1e9)).map((d) => d.id),
            ...(await o.list('delivered', 1e9)).map((d) => d.id),
          ]);
          for (const id of all) expect(present.has(id)).toBe(true);
        } finally {
          await o.close();
        }
      }
      expect(all.size).toBeGreaterThan(rounds.length);
      expect(runwaysLeft).toBeGreaterThan(0); // the kills hit a journal with zeros after it
    }, 60_000);
});

// Unused-import guard for the type: NewDelivery documents what the writer child records.
export type { NewDelivery };
