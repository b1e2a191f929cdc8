import { describe, expect, it } from 'vitest';
import { MinHeap } from '../../src/replay/min-heap.js';

describe('MinHeap', () => {
  it('pops the smallest priority first, over random pushes and pops', () => {
    let seed = 7;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const heap = new MinHeap<number>();
    const model: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      if (model.length > 0 && random() < 0.45) {
        model.sort((a, b) => a - b);
        const smallest = model.shift()!;
        const popped = heap.pop()!;
        expect(popped.priority).toBe(smallest);
        // Each value carries its own priority, so the pair must come out together.
        expect(popped.value).toBe(popped.priority);
      } else {
        const priority = Math.floor(random() * 1000); // repeats: ties are allowed
        heap.push(priority, priority);
        model.push(priority);
      }
      expect(heap.size).toBe(model.length);
      expect(heap.peekPriority()).toBe(model.length === 0 ? undefined : Math.min(...model));
    }
    for (const priority of model.sort((a, b) => a - b)) expect(heap.pop()?.priority).toBe(priority);
    expect(heap.pop()).toBeUndefined();
  });
});
