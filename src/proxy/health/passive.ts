// Passive health: failures seen on real traffic. After `maxFails` consecutive failures an upstream is
// ejected for `cooldownMs`; then one trial request is let through — success readmits it, failure
// ejects it again. Pure state: the caller passes the time and does the I/O.

export interface PassiveOptions {
  /** Consecutive failures that eject an upstream; 0 disables passive ejection. */
  readonly maxFails: number;
  readonly cooldownMs: number;
}

export class PassiveHealth {
  readonly #options: PassiveOptions;
  failures = 0;
  /** 0 while in rotation; else the time the cool-down ends. */
  ejectedUntil = 0;
  #trialInFlight = false;

  constructor(options: PassiveOptions) {
    this.#options = options;
  }

  get ejected(): boolean {
    return this.ejectedUntil !== 0;
  }

  /** May this upstream be chosen now? After the cool-down, yes for exactly one trial at a time. */
  isAvailable(nowMs: number): boolean {
    if (this.ejectedUntil === 0) return true;
    return nowMs >= this.ejectedUntil && !this.#trialInFlight;
  }

  /** The upstream was chosen: if it is ejected this is its trial request. */
  chosen(): void {
    if (this.ejectedUntil !== 0) this.#trialInFlight = true;
  }

  /** A response came back. Returns true when this readmits an ejected upstream. */
  recordSuccess(): boolean {
    this.failures = 0;
    this.#trialInFlight = false;
    if (this.ejectedUntil === 0) return false;
    this.ejectedUntil = 0;
    return true;
  }

  /** A connection or response failure. Returns true when this ejects the upstream (again). */
  recordFailure(nowMs: number): boolean {
    this.failures++;
    const max = this.#options.maxFails;
    if (max === 0) return false;
    if (this.#trialInFlight || (this.ejectedUntil === 0 && this.failures >= max)) {
      this.#trialInFlight = false;
      this.ejectedUntil = nowMs + this.#options.cooldownMs;
      return true;
    }
    return false;
  }

  /** The trial ended without a verdict (client went away): let another request try. */
  releaseTrial(): void {
    this.#trialInFlight = false;
  }
}
