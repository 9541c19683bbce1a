/**
 * A log line for an event anyone can cause (a refused OAuth callback needs no login): counted,
 * and written at most once per interval with the count, so a flood of requests cannot flood
 * the log. The first event of a quiet period is written at once; the ones after it within the
 * interval are written together when it ends.
 */
export class CountedLog {
  private pending = 0;
  private last = '';
  /** Until when the last line written keeps the next one back. */
  private quietUntil = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: (count: number, lastMessage: string) => void,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Counts one event; `message` describes the latest. */
  note(message: string): void {
    this.pending++;
    this.last = message;
    const now = this.now();
    if (now >= this.quietUntil) {
      this.flush();
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.quietUntil - now);
      this.timer.unref?.();
    }
  }

  /** Writes what is pending now (also at close, so no count is lost). */
  flush(): void {
    if (this.pending === 0) return;
    const count = this.pending;
    this.pending = 0;
    this.quietUntil = this.now() + this.intervalMs;
    this.write(count, this.last);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }
}
