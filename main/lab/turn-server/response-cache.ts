/**
 * Answers to UDP requests, kept so that a retransmission (same 5-tuple, same transaction id) gets
 * the same answer instead of being processed again: RFC 8656 §5 asks that requests be treated as
 * idempotent, and a re-processed Allocate would otherwise meet its own allocation and get 437.
 * Entries live 40 s (the window RFC 8656 §5 takes from RFC 8489 §6.3.1); the table is bounded
 * and forgets lazily, so it needs no timer.
 */
export class ResponseCache {
  private readonly entries = new Map<string, { readonly bytes: Uint8Array; readonly at: number }>();

  constructor(
    private readonly ttlMs = 40_000,
    private readonly maxEntries = 4096,
  ) {}

  get(conn: string, transaction: string, now: number): Uint8Array | undefined {
    const e = this.entries.get(`${conn}|${transaction}`);
    return e && now - e.at < this.ttlMs ? e.bytes : undefined;
  }

  put(conn: string, transaction: string, bytes: Uint8Array, now: number): void {
    // Map iteration is insertion order: the oldest entries come first.
    for (const [k, e] of this.entries) {
      if (now - e.at < this.ttlMs && this.entries.size < this.maxEntries) break;
      this.entries.delete(k);
    }
    this.entries.set(`${conn}|${transaction}`, { bytes, at: now });
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
