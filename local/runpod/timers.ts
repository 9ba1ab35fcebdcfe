/**
 * Every timer the emulator starts goes through one Timers instance, so that
 * close() can clear them all and leave nothing running.
 */
export class Timers {
  private readonly pending = new Map<NodeJS.Timeout, () => void>();

  /**
   * Runs fn after ms; the returned function cancels it. onClear runs instead
   * of fn when clearAll() comes first (used to wake waiters on close).
   */
  after(ms: number, fn: () => void, onClear: () => void = () => {}): () => void {
    const handle = setTimeout(() => {
      this.pending.delete(handle);
      fn();
    }, Math.max(0, ms));
    this.pending.set(handle, onClear);
    return () => {
      clearTimeout(handle);
      this.pending.delete(handle);
    };
  }

  /** How many timers are waiting to fire. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Resolves after ms, or at once when the timers are cleared. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve, resolve));
  }

  clearAll(): void {
    const cleared = [...this.pending];
    this.pending.clear();
    for (const [handle, onClear] of cleared) {
      clearTimeout(handle);
      onClear();
    }
  }
}
