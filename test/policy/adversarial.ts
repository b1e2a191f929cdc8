import { readFileSync } from 'node:fs';
import type { GatewayEvent } from '../../src/events/event-schema.js';

/** Near-misses of every shipped rule: each almost matches, then fails at the last moment. */
export const NEAR_MISSES: readonly string[] = (
  JSON.parse(readFileSync(new URL('./near-misses.json', import.meta.url), 'utf8')) as {
    nearMisses: string[];
  }
).nearMisses;

/** Bytes of `value` as JSON. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/**
 * An event whose JSON body is just under `limit` bytes, made of long runs of near-misses:
 * 12 full-length steps plus one metadata string per near-miss and a single huge string of
 * one repeated near-miss (the shape that makes a backtracking engine quadratic).
 */
export function adversarialEvent(limit = 256 * 1024, tail = ''): GatewayEvent {
  const steps = Array.from({ length: 12 }, (_, i) => ({
    name: `s${i}`,
    run: NEAR_MISSES[i % NEAR_MISSES.length]!.repeat(1000).slice(0, 4096),
  }));
  const metadata: Record<string, string> = {};
  const event: GatewayEvent = { action: 'build', target: 'acme/web', steps, metadata };
  NEAR_MISSES.forEach((m, i) => (metadata[`m${i}`] = m.repeat(400)));
  const room = limit - jsonBytes(event) - 64 - tail.length * 6;
  metadata.huge = 'curl '.repeat(Math.floor(room / 5)) + tail;
  return event;
}
