import type { Redis } from 'ioredis';
import { MemoryDeployWatch, type DeployWatch, type DeployWatcher } from './deploy-watch.js';
import { closeRedisClient, waitForRedis } from '../redis/connection.js';
import { DEPLOY_ID } from '../protocol/grammar.js';

/** Deploy ids are lowercase hex; anything else on the channel is ignored. */

export interface RedisDeployWatchOptions {
  /** The shared command connection: PUBLISH goes through it. */
  readonly redis: Redis;
  /**
   * A DEDICATED connection for SUBSCRIBE (a subscribed connection can run no other
   * command). Owned by the watch: closed with it.
   */
  readonly subscriber: Redis;
  /** Key prefix (`REDIS_PREFIX`); the channel is `<prefix>deploy-changed`. */
  readonly prefix: string;
  readonly onError?: (error: Error) => void;
}

/**
 * Cross-instance deploy watch over Redis pub/sub: `notify` publishes the deploy id on one
 * channel; every instance's subscriber wakes its local waiters for that id. Local waiters
 * are also woken directly, so the instance that made the change does not wait for the
 * round trip. Pub/sub is at-most-once (a message sent while a subscriber reconnects is
 * lost), which is why a waiter also re-reads the store on a bounded interval
 * (gateway/wait-deploy.ts): a lost message delays an answer, never falsifies it.
 */
export class RedisDeployWatch implements DeployWatch {
  readonly #local = new MemoryDeployWatch();
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;
  readonly #onError: (error: Error) => void;

  constructor(options: RedisDeployWatchOptions) {
    this.#redis = options.redis;
    this.#subscriber = options.subscriber;
    this.#channel = `${options.prefix}deploy-changed`;
    this.#onError = options.onError ?? (() => undefined);
    this.#subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.#channel && DEPLOY_ID.test(message)) this.#local.notify(message);
    });
    // The connection has no offline queue: subscribe whenever it becomes ready (at start
    // and after every reconnect; SUBSCRIBE to a channel already subscribed is harmless).
    const subscribe = (): void => {
      this.#subscriber.subscribe(this.#channel).catch((err: Error) => this.#onError(err));
    };
    this.#subscriber.on('ready', subscribe);
    if (this.#subscriber.status === 'ready') subscribe();
  }

  watch(id: string): DeployWatcher {
    return this.#local.watch(id);
  }

  notify(id: string): void {
    this.#local.notify(id);
    this.#redis.publish(this.#channel, id).catch((err: Error) => this.#onError(err));
  }

  /** Resolves once the subscription is active, false after `timeoutMs` (start-up, tests). */
  async subscribed(timeoutMs = 3000): Promise<boolean> {
    if (!(await waitForRedis(this.#subscriber, timeoutMs))) return false;
    try {
      await this.#subscriber.subscribe(this.#channel);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.#local.close();
    await closeRedisClient(this.#subscriber);
  }
}
