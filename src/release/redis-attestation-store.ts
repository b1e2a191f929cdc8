import type { Redis } from 'ioredis';
import { GatewayError } from '../errors.js';
import { ATTESTATION_RETAIN_MS, type AttestationStore } from './attestation-store.js';

/**
 * Shared attestation store: `<prefix>attestation:<deploy id>` holds the envelope text,
 * written with SET NX so the first instance to build it wins and every instance (and a
 * restarted one) serves those exact bytes. Fails closed: a Redis error is 503.
 */
export class RedisAttestationStore implements AttestationStore {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(options: { redis: Redis; prefix: string }) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
  }

  #key(deployId: string): string {
    return `${this.#prefix}attestation:${deployId}`;
  }

  async get(deployId: string): Promise<string | undefined> {
    const text = await this.#call(() => this.#redis.get(this.#key(deployId)));
    return text ?? undefined;
  }

  async putIfAbsent(deployId: string, text: string): Promise<string> {
    const set = await this.#call(() =>
      this.#redis.set(this.#key(deployId), text, 'PX', ATTESTATION_RETAIN_MS, 'NX'),
    );
    if (set === 'OK') return text;
    const stored = await this.get(deployId);
    if (stored === undefined)
      throw new GatewayError('unavailable', { detail: 'attestation vanished while stored' });
    return stored;
  }

  async #call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (cause) {
      throw new GatewayError('unavailable', { detail: 'attestation store unavailable', cause });
    }
  }
}
