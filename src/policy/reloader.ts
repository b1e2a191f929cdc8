import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Clock } from '../clock.js';
import { sha256Hex } from '../crypto/index.js';
import type { ActivePolicy, PolicyProvider, PolicyStatus } from './active-policy.js';
import { compilePolicy } from './compile.js';
import { readPolicyFile } from './policy-file.js';

export type PolicyLogLevel = 'info' | 'warn' | 'error';

export interface PolicyReloaderOptions {
  readonly file: string;
  /** Development mode: `dev-*` style wildcard clients match. */
  readonly devMode: boolean;
  readonly clock: Clock;
  /**
   * Called with each new revision before it becomes active (compose.ts audits it). If it
   * throws, the revision is not activated and the error is recorded; the poll retries.
   */
  readonly onActivate?: (policy: ActivePolicy) => void | Promise<void>;
  /** Called with the message of each failed load. */
  readonly onError?: (message: string) => void;
  readonly log?: (level: PolicyLogLevel, message: string, fields?: Record<string, unknown>) => void;
  /** Quiet period after a file-system event before re-reading (default 75 ms). */
  readonly debounceMs?: number;
  /** Period of the content-hash backstop check (default 1000 ms). */
  readonly pollMs?: number;
}

/**
 * Adapter implementing PolicyProvider over a file. Re-reads on `fs.watch` events of the
 * file's directory (editors and deploy tools replace files by rename, which a watch on
 * the file itself would miss), on a periodic content-hash check (watchers drop events on
 * some file systems and in containers), and on `reload()` (SIGHUP). Loads are serialised,
 * and a queued load reads the file when it starts, so bursts of writes converge on the
 * last content. A new revision replaces the old by one reference assignment: requests
 * that took the old snapshot finish with it. A bad file leaves the last good revision
 * active and is reported in `status().lastError`.
 */
export class PolicyReloader implements PolicyProvider {
  private active: ActivePolicy | undefined;
  private lastError: string | undefined;
  private lastAttemptAt: string | undefined;
  private lastSeenHash: string | undefined;
  private queue: Promise<void> = Promise.resolve();
  private queued = false;
  private queuedForce = false;
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: PolicyReloaderOptions) {}

  current(): ActivePolicy | undefined {
    return this.active;
  }

  status(): PolicyStatus {
    return {
      ...(this.active && { revision: this.active.revision, activatedAt: this.active.activatedAt }),
      ...(this.lastError !== undefined && { lastError: this.lastError }),
      ...(this.lastAttemptAt !== undefined && { lastAttemptAt: this.lastAttemptAt }),
    };
  }

  /** Loads the file once, then watches it. Resolves after the first load (good or bad). */
  async start(): Promise<void> {
    await this.reload();
    if (this.closed) return;
    const name = basename(this.options.file);
    try {
      this.watcher = watch(
        dirname(this.options.file),
        { persistent: false },
        (_event, filename) => {
          if (filename === null || filename === name) this.onFileEvent();
        },
      );
      this.watcher.on('error', (err) =>
        this.log('warn', 'policy watcher failed; polling continues', { err: String(err) }),
      );
    } catch (err) {
      this.log('warn', 'cannot watch policy directory; polling only', { err: String(err) });
    }
    this.poll = setInterval(() => void this.schedule(false), this.options.pollMs ?? 1000);
    this.poll.unref();
  }

  /** Forces a re-read and re-compile (SIGHUP). Resolves when it is done. */
  reload(): Promise<void> {
    return this.schedule(true);
  }

  /** Stops watching; waits for a load in progress. */
  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    clearTimeout(this.debounce);
    clearInterval(this.poll);
    await this.queue;
  }

  private onFileEvent(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.schedule(false), this.options.debounceMs ?? 75);
    this.debounce.unref();
  }

  /** At most one load runs and at most one waits; the waiting one reads the newest file. */
  private schedule(force: boolean): Promise<void> {
    this.queuedForce ||= force;
    if (this.queued) return this.queue;
    this.queued = true;
    this.queue = this.queue.then(async () => {
      this.queued = false;
      const f = this.queuedForce;
      this.queuedForce = false;
      try {
        await this.loadOnce(f);
      } catch (err) {
        this.fail(`policy load failed: ${String(err)}`);
      }
    });
    return this.queue;
  }

  private async loadOnce(force: boolean): Promise<void> {
    if (this.closed && !force) return;
    let bytes: Uint8Array;
    try {
      bytes = await readPolicyFile(this.options.file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      if (force || this.lastSeenHash !== code) {
        this.lastSeenHash = code;
        this.lastAttemptAt = this.now();
        this.fail(`(root): cannot read policy file: ${code}`);
      }
      return;
    }
    const hash = sha256Hex(bytes);
    if (!force && hash === this.lastSeenHash) return;
    this.lastSeenHash = hash;
    this.lastAttemptAt = this.now();
    const result = compilePolicy(bytes, {
      devMode: this.options.devMode,
      activatedAt: this.lastAttemptAt,
    });
    if (!result.ok) {
      this.fail(result.errors.join('; '), { revision: result.revision });
      return;
    }
    if (result.policy.revision === this.active?.revision) {
      this.lastError = undefined;
      return;
    }
    try {
      await this.options.onActivate?.(result.policy);
    } catch (err) {
      this.lastSeenHash = undefined; // retry on the next poll
      this.fail(`revision not activated: recording it failed: ${String(err)}`);
      return;
    }
    this.active = result.policy;
    this.lastError = undefined;
    this.log('info', 'policy revision active', { revision: result.policy.revision });
  }

  private fail(message: string, fields: Record<string, unknown> = {}): void {
    this.lastError = message;
    // Say what is really in force: with no good revision yet, nothing is.
    const consequence =
      this.active === undefined
        ? 'no policy active: every event is denied and /readyz is not ready until a valid policy file is loaded (check it with `codex-gateway policy check FILE`)'
        : 'policy file rejected; last good revision stays active';
    this.log('error', consequence, {
      ...fields,
      error: message,
      active: this.active?.revision ?? null,
    });
    this.options.onError?.(message);
  }

  private log(level: PolicyLogLevel, message: string, fields?: Record<string, unknown>): void {
    this.options.log?.(level, message, fields);
  }

  private now(): string {
    return new Date(this.options.clock.nowMs()).toISOString();
  }
}
