import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MinHeap } from '../../src/replay/min-heap.js';

/**
 * A push of this priority, or (null) a pop; more pushes than pops, so the heap grows deep.
 * Few distinct priorities: ties and neighbours (an off-by-one comparison) are common.
 */
const operations = fc.array(
  fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 30 }), weight: 3 },
    { arbitrary: fc.constant(null), weight: 2 },
  ),
  { maxLength: 1000 },
);

describe('MinHeap', () => {
  it('pops the smallest priority first, over random pushes and pops', () => {
    fc.assert(
      fc.property(operations, (ops) => {
        const heap = new MinHeap<number>();
        const model: number[] = [];
        for (const op of ops) {
          if (op === null) {
            model.sort((a, b) => a - b);
            const smallest = model.shift();
            const popped = heap.pop();
            expect(popped?.priority).toBe(smallest);
            // Each value carries its own priority, so the pair must come out together.
            expect(popped?.value).toBe(popped?.priority);
          } else {
            heap.push(op, op);
            model.push(op);
          }
          expect(heap.size).toBe(model.length);
          expect(heap.peekPriority()).toBe(model.length === 0 ? undefined : Math.min(...model));
        }
        for (const priority of model.sort((a, b) => a - b))
          expect(heap.pop()?.priority).toBe(priority);
        expect(heap.pop()).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });
});
