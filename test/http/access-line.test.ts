import fc from 'fast-check';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { requestRecorder, type FinishedRequest } from '../../src/http/request-record.js';
import { createLogger } from '../../src/logger.js';
import { noopMetrics } from '../../src/metrics/metrics-port.js';

/**
 * The access line request-record.ts joins by hand (issue 19) against what pino itself
 * writes for the same fields from the gateway's logger: byte for byte, the time aside
 * (two calls may fall in different milliseconds).
 */
function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, logger: createLogger('info', sink) };
}

const untimed = (line: string): string => line.replace(/,"time":\d+,/, ',"time":0,');

/** Text as it can reach the line: any code point but lone surrogates (never from HTTP). */
const text = fc.string({ unit: 'binary', maxLength: 60 });

const finished: fc.Arbitrary<FinishedRequest> = fc.record({
  requestId: text,
  route: fc.constant('/v1/events'),
  method: fc.constantFrom('GET', 'POST', 'PUT'),
  path: text,
  status: fc.integer({ min: 100, max: 599 }),
  ms: fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constant(Number.NaN)),
  client: fc.option(text, { nil: undefined }),
  code: fc.option(text, { nil: undefined }),
});

describe('the access line', () => {
  it('is the line pino writes for the same fields', () => {
    fc.assert(
      fc.property(finished, (r) => {
        const ours = capture();
        requestRecorder(ours.logger, noopMetrics)(r);
        const theirs = capture();
        const fields: Record<string, unknown> = {
          reqId: r.requestId,
          method: r.method,
          path: r.path,
          status: r.status,
          ms: Math.round(r.ms * 100) / 100,
          client: r.client,
        };
        if (r.code !== undefined) fields['code'] = r.code;
        theirs.logger.child({}, { redact: [] }).info(fields, 'request');
        expect(ours.lines.map(untimed)).toEqual(theirs.lines.map(untimed));
      }),
      { numRuns: 500 },
    );
  });

  it('is not written when the logger is above info', () => {
    const lines: string[] = [];
    const logger = createLogger(
      'warn',
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const counted: number[] = [];
    requestRecorder(logger, { ...noopMetrics, request: (_r, _m, status) => counted.push(status) })({
      requestId: 'x'.repeat(16),
      route: '/v1/events',
      method: 'POST',
      path: '/v1/events',
      status: 200,
      ms: 1,
      client: undefined,
      code: undefined,
    });
    expect(lines).toEqual([]);
    expect(counted).toEqual([200]);
  });
});
