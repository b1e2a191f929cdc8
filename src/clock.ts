/** Time source, injected so tests can move time without sleeping. */
export interface Clock {
  /** Milliseconds since the unix epoch. */
  nowMs(): number;
}

/** The wall clock. */
export const systemClock: Clock = { nowMs: () => Date.now() };
