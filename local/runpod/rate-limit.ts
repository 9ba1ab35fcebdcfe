/** Fixed-window request counting, one window per key (endpoint and operation). */
export class RateLimiter {
  private readonly windows = new Map<string, { startedAt: number; count: number }>();

  /** Counts a request; false when it is over the limit for the current window. */
  take(key: string, limit: number, windowMs: number, now = Date.now()): boolean {
    let window = this.windows.get(key);
    if (!window || now - window.startedAt >= windowMs) {
      window = { startedAt: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    return window.count <= limit;
  }

  reset(keyPrefix = ""): void {
    for (const key of [...this.windows.keys()]) if (key.startsWith(keyPrefix)) this.windows.delete(key);
  }
}
