/**
 * A FIFO buffer of at most `capacity` items that makes room by dropping the oldest: when the
 * control plane is down, the newest events are the ones worth keeping.
 */
export class EventBuffer<T> {
  private items: T[] = [];
  private head = 0;

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /** Adds an item; returns the number of oldest items dropped to make room (0 or 1). */
  push(item: T): number {
    let dropped = 0;
    if (this.length >= this.capacity) {
      this.head++;
      dropped = 1;
    }
    this.items.push(item);
    this.compact();
    return dropped;
  }

  /** Removes and returns up to `max` items from the front. */
  take(max: number): T[] {
    const end = Math.min(this.head + max, this.items.length);
    const taken = this.items.slice(this.head, end);
    this.head = end;
    this.compact();
    return taken;
  }

  /**
   * Puts items taken earlier back at the front, after a failed delivery. Returns the number of
   * oldest items dropped when newer ones arrived meanwhile and the buffer is over capacity.
   */
  putBack(items: readonly T[]): number {
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
    const over = Math.max(this.length - this.capacity, 0);
    this.head = over;
    this.compact();
    return over;
  }

  /** Removes and returns every item. */
  drain(): T[] {
    return this.take(this.length);
  }

  // Drops the consumed prefix once it is half the array, so push and take stay O(1) amortized.
  private compact(): void {
    if (this.head > 0 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
