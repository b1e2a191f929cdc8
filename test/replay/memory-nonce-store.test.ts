import { describe, expect, it } from 'vitest';
import { MemoryNonceStore } from '../../src/replay/memory-nonce-store.js';

const T0 = 1_700_000_000;
const ms = (s: number): number => s * 1000;

describe('MemoryNonceStore', () => {
  it('claims a nonce once and refuses it again for the same client only', () => {
    const store = new MemoryNonceStore(100, 300);
    expect(store.claim('a', 'nonce-0000000000001', T0, ms(T0))).toBe('claimed');
    expect(store.claim('a', 'nonce-0000000000001', T0, ms(T0))).toBe('replayed');
    expect(store.claim('b', 'nonce-0000000000001', T0, ms(T0))).toBe('claimed');
  });

  it('separates client and nonce so "a\\nb"+"c" cannot collide with "a"+"b\\nc"', () => {
    const store = new MemoryNonceStore(100, 300);
    expect(store.claim('x', 'nonce-aaaaaaaaaaaaaa', T0, ms(T0))).toBe('claimed');
    expect(store.claim('x-', 'nonce-aaaaaaaaaaaaaa', T0, ms(T0))).toBe('claimed');
  });

  it('forgets a nonce only after its timestamp left the window', () => {
    const store = new MemoryNonceStore(100, 300);
    store.claim('a', 'nonce-0000000000001', T0, ms(T0));
    expect(store.claim('a', 'nonce-0000000000001', T0, ms(T0 + 300))).toBe('replayed');
    store.claim('a', 'nonce-0000000000002', T0 + 301, ms(T0 + 301));
    expect(store.size).toBe(1);
  });

  describe('when full', () => {
    it('drops the oldest entry and refuses every timestamp not newer than it', () => {
      const store = new MemoryNonceStore(3, 300);
      store.claim('a', 'nonce-0000000000001', T0 + 5, ms(T0 + 10));
      store.claim('a', 'nonce-0000000000002', T0 + 1, ms(T0 + 10));
      store.claim('a', 'nonce-0000000000003', T0 + 9, ms(T0 + 10));
      expect(store.claim('a', 'nonce-0000000000004', T0 + 10, ms(T0 + 10))).toBe('claimed');
      // The oldest by timestamp (T0+1) was forgotten, so T0+1 and older are refused...
      expect(store.highWater).toBe(T0 + 1);
      expect(store.claim('a', 'nonce-0000000000002', T0 + 1, ms(T0 + 10))).toBe('too_old');
      expect(store.claim('a', 'nonce-0000000000005', T0, ms(T0 + 10))).toBe('too_old');
      // ...while newer timestamps are still judged by the remembered nonces.
      expect(store.claim('a', 'nonce-0000000000001', T0 + 5, ms(T0 + 10))).toBe('replayed');
      expect(store.size).toBe(3);
    });

    it('never accepts a replay, whatever the flood, and stays within capacity', () => {
      const capacity = 1000;
      const store = new MemoryNonceStore(capacity, 300);
      const accepted: Array<[string, number]> = [];
      for (let i = 0; i < 20_000; i++) {
        const ts = T0 + (i % 600) - 300; // timestamps spread over the window, out of order
        const nonce = `nonce-${i.toString().padStart(14, '0')}`;
        if (store.claim('flood', nonce, ts, ms(T0)) === 'claimed') accepted.push([nonce, ts]);
        expect(store.size).toBeLessThanOrEqual(capacity);
      }
      for (const [nonce, ts] of accepted) {
        expect(store.claim('flood', nonce, ts, ms(T0))).not.toBe('claimed');
      }
    });
  });
});
