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
    this.priorities.push(priority);
    this.values.push(value);
    let i = this.values.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.priorities[parent]! <= priority) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Removes and returns the entry with the smallest priority. */
  pop(): { priority: number; value: T } | undefined {
    const n = this.values.length;
    if (n === 0) return undefined;
    const top = { priority: this.priorities[0]!, value: this.values[0]! };
    this.swap(0, n - 1);
    this.priorities.pop();
    this.values.pop();
    let i = 0;
    const size = n - 1;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && this.priorities[l]! < this.priorities[m]!) m = l;
      if (r < size && this.priorities[r]! < this.priorities[m]!) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }

  private swap(a: number, b: number): void {
    [this.priorities[a], this.priorities[b]] = [this.priorities[b]!, this.priorities[a]!];
    [this.values[a], this.values[b]] = [this.values[b]!, this.values[a]!];
  }
}
