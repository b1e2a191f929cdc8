/**
 * ioredis declares `class VerbatimString extends String`. Defining a subclass of a
 * built-in turns `String.prototype` into a dictionary-mode ("slow properties") object in
 * V8, and from then on every `charCodeAt`, `toLowerCase`, JSON and log call in the whole
 * process takes a slower lookup path (measured 2.5–3× on string-heavy code; bench/README.md).
 *
 * V8 makes a prototype chain fast again when an instance of a subclass first grows its own
 * property (the store goes through the chain's maps). Creating one such instance right
 * after ioredis is loaded restores the fast `String.prototype`; a test checks it with
 * `%HasFastProperties` in both store modes so a dependency cannot bring the slowdown back.
 */
export function restoreFastStringPrototype(): void {
  class Restore extends String {
    readonly mark: number;
    constructor() {
      super('');
      this.mark = 0;
    }
  }
  void new Restore().mark;
}
