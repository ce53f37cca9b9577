import { describe, expect, it } from 'vitest';
import { SequenceTracker } from '../../../main/media/sequence';

function feed(t: SequenceTracker, seqs: number[]): string[] {
  return seqs.map((s) => t.update(s).kind);
}

describe('RTP sequence accounting (RFC 3550 §A.1, §A.3)', () => {
  it('holds a new source on probation for MIN_SEQUENTIAL packets, then counts the run', () => {
    const t = new SequenceTracker();
    expect(t.update(100)).toEqual({ kind: 'probation', run: 1 });
    expect(t.valid).toBe(false);
    expect(t.expected).toBe(0);
    expect(t.update(101)).toEqual({ kind: 'accepted', extSeq: 101, order: 'in-order', validated: 2 });
    expect(t.valid).toBe(true);
    expect(t.expected).toBe(2);
    expect(t.received).toBe(2);
  });

  it('restarts probation when the run breaks', () => {
    const t = new SequenceTracker({ minSequential: 3 });
    expect(feed(t, [10, 11, 20, 21])).toEqual(['probation', 'probation', 'probation', 'probation']);
    expect(t.update(22)).toMatchObject({ kind: 'accepted', validated: 3 });
    expect(t.baseSeq).toBe(20);
    expect(t.expected).toBe(3);
  });

  it('counts loss, duplicates and reordering across the 16-bit wrap', () => {
    const t = new SequenceTracker();
    // 65533 65535 (65534 lost) 0 2 (1 lost) 4 3 (reordered) 3 (duplicate) 5
    const kinds = feed(t, [65532, 65533, 65535, 0, 2, 4, 3, 3, 5]);
    expect(kinds).toEqual(['probation', 'accepted', 'accepted', 'accepted', 'accepted', 'accepted', 'accepted', 'duplicate', 'accepted']);
    expect(t.maxExtSeq).toBe(65536 + 5);
    expect(t.baseSeq).toBe(65532);
    expect(t.expected).toBe(10); // 65532 … 65541
    expect(t.received).toBe(8);
    expect(t.duplicates).toBe(1);
    expect(t.reordered).toBe(1);
  });

  it('gives reordered packets from before the wrap their old cycle', () => {
    const t = new SequenceTracker();
    feed(t, [65534, 65535, 1]);
    const v = t.update(0);
    expect(v).toEqual({ kind: 'accepted', extSeq: 65536, order: 'reordered', validated: 0 });
    const late = t.update(65535);
    expect(late).toEqual({ kind: 'duplicate', extSeq: 65535 });
    expect(t.expected - t.received).toBe(0);
  });

  it('counts a duplicate of the highest packet once', () => {
    const t = new SequenceTracker();
    feed(t, [7, 8, 8, 8]);
    expect(t.received).toBe(2);
    expect(t.duplicates).toBe(2);
  });

  it('takes a jump below MAX_DROPOUT as loss', () => {
    const t = new SequenceTracker();
    feed(t, [1, 2, 2000]);
    expect(t.expected).toBe(2000);
    expect(t.received).toBe(3);
  });

  it('ignores one jump beyond MAX_DROPOUT and restarts when the next packet confirms it', () => {
    const t = new SequenceTracker();
    feed(t, [1, 2, 3]);
    expect(t.update(40000)).toEqual({ kind: 'jump' });
    expect(t.expected).toBe(3);
    expect(t.update(40001)).toEqual({ kind: 'restarted', extSeq: 40001 });
    expect(t.restarts).toBe(1);
    expect(t.expected).toBe(1);
    expect(t.received).toBe(1);
    // a jump that is not confirmed is forgotten
    expect(t.update(10000)).toEqual({ kind: 'jump' });
    expect(t.update(40002)).toMatchObject({ kind: 'accepted', extSeq: 40002 });
  });

  it('lowers the base for a late packet older than the first counted one', () => {
    const t = new SequenceTracker();
    feed(t, [11, 12, 10]);
    expect(t.baseSeq).toBe(10);
    expect(t.expected).toBe(3);
    expect(t.received).toBe(3);
  });

  it('accepts the first packet at once with MIN_SEQUENTIAL = 1', () => {
    const t = new SequenceTracker({ minSequential: 1 });
    expect(t.update(0)).toEqual({ kind: 'accepted', extSeq: 0, order: 'in-order', validated: 1 });
  });

  it('counts 200,000 packets through three wraps with every tenth lost', () => {
    const t = new SequenceTracker();
    let sent = 0;
    for (let i = 0; i < 200_000; i++) {
      sent++;
      if (i % 10 === 5) continue;
      t.update((60000 + i) & 0xffff);
    }
    expect(t.expected).toBe(sent);
    expect(t.expected - t.received).toBe(20_000);
  });
});
