import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { decodeWebhookSecret } from '../../src/delivery/targets.js';
import { webhookHeaders, webhookSignature } from '../../src/delivery/webhook-signature.js';
import { newSecret } from './receiver.js';

/** §11 read alone: base64-decode after whsec_, HMAC over id.timestamp.body, v1,<base64>, space-separated. */
function verifyBySection11(secret: string, h: Record<string, string>, body: string): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const want = createHmac('sha256', key)
    .update(`${h['webhook-id']}.${h['webhook-timestamp']}.${body}`)
    .digest();
  return (h['webhook-signature'] ?? '').split(' ').some((entry) => {
    const [version, sig] = entry.split(',');
    const got = Buffer.from(sig ?? '', 'base64');
    return version === 'v1' && got.length === want.length && timingSafeEqual(got, want);
  });
}

describe('webhookSignature', () => {
  const body = JSON.stringify({
    type: 'event.allowed',
    timestamp: '2026-11-21T20:00:00.000Z',
    data: { é: '✓' },
  });
  const id = 'msg_0123456789abcdef0123456789abcdef';

  it('is what the published standardwebhooks library computes (known answer)', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const key = decodeWebhookSecret(secret) as Uint8Array;
    const lib = new Webhook(secret).sign(id, new Date(1_674_087_231_000), body);
    expect(webhookSignature([key], id, 1_674_087_231, body)).toBe(lib);
  });

  it('verifies with the standardwebhooks library under every secret of a rotation', () => {
    const [a, b] = [newSecret(), newSecret(40)];
    const keys = [a, b].map((s) => decodeWebhookSecret(s) as Uint8Array);
    const now = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders(keys, id, now, body);
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(new Webhook(a).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(b).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow(/No matching signature/);
    expect(() => new Webhook(a).verify(`${body} `, headers)).toThrow();
  });

  it('verifies with node:crypto following §11 alone', () => {
    const secret = newSecret(24);
    const key = decodeWebhookSecret(secret) as Uint8Array;
    const headers = webhookHeaders([key], id, 1_700_000_000, body);
    expect(headers['content-type']).toBe('application/json');
    expect(verifyBySection11(secret, headers, body)).toBe(true);
    expect(verifyBySection11(newSecret(24), headers, body)).toBe(false);
    expect(verifyBySection11(secret, { ...headers, 'webhook-timestamp': '1700000001' }, body)).toBe(
      false,
    );
    expect(verifyBySection11(secret, { ...headers, 'webhook-id': `${id}0` }, body)).toBe(false);
  });

  it('refuses ids with a dot, bad timestamps and no keys', () => {
    const key = new Uint8Array(24);
    expect(() => webhookSignature([key], 'a.b', 1, '')).toThrow(RangeError);
    expect(() => webhookSignature([key], 'a', -1, '')).toThrow(RangeError);
    expect(() => webhookSignature([], 'a', 1, '')).toThrow(RangeError);
  });
});
