import { describe, expect, it } from 'vitest';
import { adversarialEvent, jsonBytes } from './adversarial.js';
import { compileOrThrow, shippedPolicyJson } from './fixtures.js';

const policy = compileOrThrow(shippedPolicyJson());

describe('evaluation of a hostile 256 KiB body', () => {
  // Not a benchmark: catastrophic or quadratic matching would take minutes here, linear
  // matching takes milliseconds; one second separates the two by orders of magnitude.
  it('finishes far below a second and allows a body of near-misses only', () => {
    const event = adversarialEvent();
    const bytes = jsonBytes(event);
    expect(bytes).toBeGreaterThan(250 * 1024);
    expect(bytes).toBeLessThanOrEqual(256 * 1024);
    const started = performance.now();
    const verdict = policy.evaluate('ci-main', event);
    const elapsed = performance.now() - started;
    expect(verdict).toEqual({ decision: 'allow', reasons: [] });
    expect(elapsed).toBeLessThan(1000);
  });

  it('still catches a real match hidden at the very end of the longest string', () => {
    const event = adversarialEvent(256 * 1024, ' | sh');
    const started = performance.now();
    expect(policy.evaluate('ci-main', event).reasons).toEqual(['deny_pattern:curl_pipe_shell']);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
