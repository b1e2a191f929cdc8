/** A binary min-heap of (priority, value) pairs; O(log n) push and pop. */
export class MinHeap<T> {
  private readonly priorities: number[] = [];
  private readonly values: T[] = [];

  get size(): number {
    return this.values.length;
  }

  /** The smallest priority, or undefined when empty. */
  peekPriority(): number | undefined {
    return this.priorities[0];
  }

  push(priority: number, value: T): void {
    const { priorities, values } = this;
    // Sift a hole up from the end, moving parents down, then fill it once (no swaps).
    let i = values.length;
    priorities.push(priority);
    values.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (priorities[parent]! <= priority) break;
      priorities[i] = priorities[parent]!;
      values[i] = values[parent]!;
      i = parent;
    }
    priorities[i] = priority;
    values[i] = value;
  }

  /** Removes and returns the entry with the smallest priority. */
  pop(): { priority: number; value: T } | undefined {
    const { priorities, values } = this;
    if (values.length === 0) return undefined;
    const top = { priority: priorities[0]!, value: values[0]! };
    const lastPriority = priorities.pop()!;
    const lastValue = values.pop()!;
    const n = values.length;
    if (n === 0) return top;
    // Sift a hole down from the root, moving the smaller child up, then put the last entry in.
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && priorities[child + 1]! < priorities[child]!) child += 1;
      if (priorities[child]! >= lastPriority) break;
      priorities[i] = priorities[child]!;
      values[i] = values[child]!;
      i = child;
    }
    priorities[i] = lastPriority;
    values[i] = lastValue;
    return top;
  }
}
