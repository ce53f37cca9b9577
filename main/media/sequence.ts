/**
 * RTP sequence number bookkeeping for one source, after RFC 3550 §A.1: probation before a source
 * counts, 16-bit wrap into an extended sequence number, and the MAX_DROPOUT / MAX_MISORDER rules
 * that tell a reordered or duplicated packet from a jump (and a jump from a sender restart).
 *
 * Added to A.1, because a test tool must account for every packet:
 * - duplicates are recognised (a window of recently seen numbers) and counted apart, so they
 *   neither hide a loss nor inflate `received`;
 * - packets that arrive after a higher number are counted as reordered;
 * - the packets of the probation run are counted once the source is valid (A.1 drops them), and a
 *   late packet older than the first counted one lowers the base instead of making loss negative.
 */
export interface SequenceOptions {
  /** RFC 3550 §A.1 MIN_SEQUENTIAL: in-order packets needed before a source is valid. */
  readonly minSequential?: number;
  /** RFC 3550 §A.1 MAX_DROPOUT: the largest forward jump taken as loss rather than a restart. */
  readonly maxDropout?: number;
  /** RFC 3550 §A.1 MAX_MISORDER: how far back a packet may be and still count as reordered. */
  readonly maxMisorder?: number;
}

export type SequenceVerdict =
  /**
   * The source is still on probation; nothing is counted yet. `run` is this packet's place in
   * the current run of consecutive numbers (1 when the run starts over).
   */
  | { readonly kind: 'probation'; readonly run: number }
  /**
   * Counted. `validated` > 0 when this packet ended probation: the `validated` packets with
   * extended numbers extSeq − validated + 1 … extSeq were all counted by this call.
   */
  | {
      readonly kind: 'accepted';
      readonly extSeq: number;
      readonly order: 'in-order' | 'reordered';
      readonly validated: number;
    }
  | { readonly kind: 'duplicate'; readonly extSeq: number }
  /** A jump beyond MAX_DROPOUT: ignored until the next packet confirms it (A.1 bad_seq). */
  | { readonly kind: 'jump' }
  /** The jump was confirmed: the sender restarted and counting begins again at this packet. */
  | { readonly kind: 'restarted'; readonly extSeq: number };

const SEQ_MOD = 0x10000;
/** Dedup window; must exceed MAX_DROPOUT so a forward jump never aliases a remembered number. */
export const SEQ_WINDOW = 8192;

/**
 * `ext` modulo SEQ_WINDOW, also for a negative `ext`: `&` works on the number modulo 2^32, which
 * SEQ_WINDOW (a power of two) divides, so this is exact for every safe integer.
 */
export function seqSlot(ext: number): number {
  return ext & (SEQ_WINDOW - 1);
}

export class SequenceTracker {
  private readonly minSequential: number;
  private readonly maxDropout: number;
  private readonly maxMisorder: number;

  private started = false;
  private probation = 0;
  private probationRun = 0;
  private maxSeq = 0;
  private cycles = 0;
  private badSeq = SEQ_MOD + 1;
  private baseExtSeq = 0;
  private readonly seen = new Uint8Array(SEQ_WINDOW);

  /** Packets counted (unique), duplicates excluded. */
  received = 0;
  duplicates = 0;
  reordered = 0;
  restarts = 0;

  constructor(opts: SequenceOptions = {}) {
    this.minSequential = Math.max(1, opts.minSequential ?? 2);
    this.maxDropout = opts.maxDropout ?? 3000;
    this.maxMisorder = opts.maxMisorder ?? 100;
  }

  /** True once probation has ended. */
  get valid(): boolean {
    return this.started && this.probation === 0;
  }

  /** RFC 3550 §A.1: cycles + max_seq (what a report block carries, modulo 2^32). */
  get maxExtSeq(): number {
    return this.cycles + this.maxSeq;
  }

  get baseSeq(): number {
    return this.baseExtSeq;
  }

  /** RFC 3550 §A.3: extended max − base + 1. */
  get expected(): number {
    return this.valid ? this.maxExtSeq - this.baseExtSeq + 1 : 0;
  }

  /** Moves the base back, e.g. to the start of a probe stream whose first packets never came. */
  lowerBase(extSeq: number): void {
    if (this.valid && extSeq < this.baseExtSeq) this.baseExtSeq = extSeq;
  }

  update(seq: number): SequenceVerdict {
    seq &= 0xffff;
    if (!this.started) {
      this.started = true;
      this.reset(seq);
      this.maxSeq = (seq - 1) & 0xffff;
      this.probation = this.minSequential;
      this.probationRun = 0;
    }
    if (this.probation > 0) {
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probation--;
        this.probationRun++;
        this.maxSeq = seq;
        if (this.probation === 0) {
          const run = this.probationRun;
          this.reset(seq);
          this.baseExtSeq = seq - (run - 1);
          for (let i = 0; i < run; i++) this.markSeen(seq - i);
          this.received = run;
          return { kind: 'accepted', extSeq: seq, order: 'in-order', validated: run };
        }
      } else {
        this.probation = this.minSequential - 1;
        this.probationRun = 1;
        this.maxSeq = seq;
      }
      return { kind: 'probation', run: this.probationRun };
    }
    const udelta = (seq - this.maxSeq) & 0xffff;
    let ext: number;
    let order: 'in-order' | 'reordered' = 'in-order';
    if (udelta === 0) {
      return this.countDuplicate(this.maxExtSeq);
    } else if (udelta < this.maxDropout) {
      ext = this.maxExtSeq + udelta;
      if (seq < this.maxSeq) this.cycles += SEQ_MOD;
      this.clearSeen(this.maxExtSeq + 1, ext);
      this.maxSeq = seq;
    } else if (udelta <= SEQ_MOD - this.maxMisorder) {
      if (seq === this.badSeq) {
        this.restarts++;
        this.reset(seq);
        this.markSeen(seq);
        this.received = 1;
        return { kind: 'restarted', extSeq: seq };
      }
      this.badSeq = (seq + 1) & 0xffff;
      return { kind: 'jump' };
    } else {
      ext = this.maxExtSeq - (SEQ_MOD - udelta);
      order = 'reordered';
      if (ext > this.maxExtSeq - SEQ_WINDOW && this.isSeen(ext)) return this.countDuplicate(ext);
      if (ext < this.baseExtSeq) this.baseExtSeq = ext;
    }
    this.markSeen(ext);
    this.received++;
    if (order === 'reordered') this.reordered++;
    return { kind: 'accepted', extSeq: ext, order, validated: 0 };
  }

  private countDuplicate(ext: number): SequenceVerdict {
    this.duplicates++;
    return { kind: 'duplicate', extSeq: ext };
  }

  private reset(seq: number): void {
    this.baseExtSeq = seq;
    this.maxSeq = seq;
    this.cycles = 0;
    this.badSeq = SEQ_MOD + 1;
    this.received = 0;
    this.seen.fill(0);
  }

  private slot(ext: number): number {
    return seqSlot(ext);
  }

  private isSeen(ext: number): boolean {
    return this.seen[this.slot(ext)] === 1;
  }

  private markSeen(ext: number): void {
    this.seen[this.slot(ext)] = 1;
  }

  /** Forgets the numbers that the window's new range reuses. */
  private clearSeen(fromExt: number, toExt: number): void {
    if (toExt - fromExt + 1 >= SEQ_WINDOW) {
      this.seen.fill(0);
      return;
    }
    for (let e = fromExt; e <= toExt; e++) this.seen[this.slot(e)] = 0;
  }
}
