/**
 * Decides whether a fault with a given share happens. A seed makes the
 * sequence reproducible (mulberry32); shares of 0 and 1 never roll.
 */
export class Dice {
  private state: number;

  constructor(private readonly seed?: number) {
    this.state = seed ?? 0;
  }

  chance(share: number): boolean {
    if (share <= 0) return false;
    if (share >= 1) return true;
    return this.next() < share;
  }

  private next(): number {
    if (this.seed === undefined) return Math.random();
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
