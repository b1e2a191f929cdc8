import { describe, expect, it } from 'vitest';
import { openFileOutbox } from '../../src/delivery/file-outbox.js';
import { buildTargetRegistry } from '../../src/delivery/targets.js';
import { buildEvent } from '../helpers/gateway-process.js';
import { createTestApp } from '../helpers/test-app.js';
import { tempOutboxDir } from './harness.js';
import { newSecret } from './receiver.js';

/**
 * docs/protocol.md §11: an allowed event is answered 200 only once its deliveries are durable. If
 * the outbox cannot take them the answer is 503 `unavailable` (fail closed), through the
 * real app with a real file outbox that can no longer write.
 */
describe('an outbox that cannot record', () => {
  it('turns an allowed event that owes a delivery into 503, and leaves others alone', async () => {
    const outbox = openFileOutbox(tempOutboxDir());
    await outbox.close(); // every enqueue now rejects
    const targets = buildTargetRegistry({
      targets: [
        {
          id: 'builds',
          url: 'http://127.0.0.1:9/hook',
          secrets: [newSecret()],
          events: ['event.allowed'],
          actions: ['build'],
        },
      ],
    });
    let woken = 0;
    const t = await createTestApp({ deliveries: { targets, outbox, wake: () => (woken += 1) } });
    const owed = await t.send(JSON.stringify(buildEvent));
    expect(owed.status).toBe(503);
    expect(((await owed.json()) as { code: string }).code).toBe('unavailable');
    // An event no target subscribes to owes nothing and is answered as usual.
    const free = await t.send(JSON.stringify({ ...buildEvent, action: 'test' }));
    expect(free.status).toBe(200);
    expect(woken).toBe(0);
  });
});
