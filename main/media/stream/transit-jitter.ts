/**
 * The RFC 3550 §A.8 estimator (J += (|D| − J)/16) on transit times given directly in ms, e.g.
 * arrival − the send time a probe payload carries. Unlike the report-block jitter, which takes the
 * RTP timestamp as the send instant, it leaves out how late our own sender was: with the sender's
 * pacing deviation reported apart, this is the network's share of the jitter.
 */
export class TransitJitter {
  private prev: number | undefined;
  private j = 0;
  private peak = 0;
  private sum = 0;
  private n = 0;

  update(transitMs: number): void {
    if (this.prev !== undefined) {
      this.j += (Math.abs(transitMs - this.prev) - this.j) / 16;
      if (this.j > this.peak) this.peak = this.j;
      this.sum += this.j;
      this.n++;
    }
    this.prev = transitMs;
  }

  /**
   * The estimate averaged over every update: the stream's typical jitter (what Lync reports as
   * JitterInterArrival, [MS-QoE]), where the last value only says how the stream ended.
   */
  get meanMs(): number {
    return this.n ? this.sum / this.n : 0;
  }

  get ms(): number {
    return this.j;
  }

  get maxMs(): number {
    return this.peak;
  }
}
