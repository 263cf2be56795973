// Reconnect delays: exponential growth with jitter, so that a node restart does not
// bring every client back in the same millisecond.
//
//   attempt:   0      1      2      3 ...
//   ceiling:  base   2base  4base  ... capped at `cap`
//   delay:    uniformly in [ceiling/2, ceiling]  ("equal jitter": never 0, never synchronised)

export class Backoff {
  /** `random` is injectable for tests; it returns a number in [0, 1). */
  constructor({ base = 500, cap = 15000, random = Math.random } = {}) {
    this.base = base;
    this.cap = cap;
    this.random = random;
    this.attempt = 0;
  }

  /** The next delay in milliseconds; each call grows the ceiling until the cap. */
  next() {
    const ceiling = Math.min(this.cap, this.base * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 20);
    return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
  }

  /** Back to the first delay (after a connection that stayed up). */
  reset() {
    this.attempt = 0;
  }
}
