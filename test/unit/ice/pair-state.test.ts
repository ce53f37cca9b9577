import { describe, expect, it } from 'vitest';
import { rfc8445Profile } from '../../../main/compat';
import { CandidatePair, PAIR_TRANSITIONS, transition, type CheckEvent, type PairState } from '../../../main/ice';
import { localFactory, remote } from './helpers';

const STATES: PairState[] = ['frozen', 'waiting', 'in-progress', 'succeeded', 'failed'];

function makePair(initial: PairState = 'frozen') {
  const events: CheckEvent[] = [];
  let t = 1000;
  const f = localFactory(rfc8445Profile);
  const pair = new CandidatePair(f.host('10.0.0.2', 5000), remote('host', '10.0.0.3', 6000, 2130706431), 'controlling', { now: () => t, emit: (e) => events.push(e) }, true, initial);
  return { pair, events, tick: (ms: number) => (t += ms) };
}

describe('pair states (EXAMPLES.md §1 table, RFC 8445 §6.1.2.6)', () => {
  it('allows exactly the table’s moves and throws on every other one', () => {
    const legal: string[] = [];
    for (const from of STATES) {
      for (const to of STATES) {
        const { pair } = makePair(from);
        if (PAIR_TRANSITIONS[from].includes(to)) {
          expect(() => transition(pair, to, 'test')).not.toThrow();
          legal.push(`${from}→${to}`);
        } else {
          expect(() => transition(pair, to, 'test'), `${from}→${to}`).toThrow(/illegal transition/);
          expect(pair.state).toBe(from);
        }
      }
    }
    expect(legal).toEqual([
      'frozen→waiting',
      'frozen→failed',
      'waiting→in-progress',
      'waiting→succeeded',
      'waiting→failed',
      'in-progress→waiting',
      'in-progress→succeeded',
      'in-progress→failed',
      'succeeded→failed',
      'failed→waiting',
    ]);
  });

  it('emits one check event per change with from, to, reason, time, RTT and error', () => {
    const { pair, events, tick } = makePair();
    transition(pair, 'waiting', 'initial');
    tick(20);
    pair.transition('in-progress', 'ordinary check');
    tick(35);
    pair.transition('succeeded', 'success response', { rtt: 35 });
    tick(5000);
    pair.transition('failed', 'consent lost', { error: { code: 'ICE_CHECK_FAILED', message: 'no consent' } });
    expect(events.map((e) => [e.from, e.to, e.reason, e.at])).toEqual([
      ['frozen', 'waiting', 'initial', 1000],
      ['waiting', 'in-progress', 'ordinary check', 1020],
      ['in-progress', 'succeeded', 'success response', 1055],
      ['succeeded', 'failed', 'consent lost', 6055],
    ]);
    expect(events[2]).toMatchObject({ type: 'check', rtt: 35, pair: { id: pair.id, state: 'succeeded', lastRtt: 35 } });
    expect(events[3]!.error).toEqual({ code: 'ICE_CHECK_FAILED', message: 'no consent' });
    expect(pair.lastRtt).toBe(35);
    // the event is plain data: the bigint priority travels as a string
    expect(JSON.parse(JSON.stringify(events[2]))).toMatchObject({ pair: { priority: pair.priority.toString() } });
  });

  it('emits nothing on an illegal move', () => {
    const { pair, events } = makePair();
    expect(() => pair.transition('succeeded', 'skip')).toThrow();
    expect(events).toEqual([]);
  });

  it('names the pair by its candidates and joins their foundations', () => {
    const { pair } = makePair();
    expect(pair.id).toBe('L1/udp/host/10.0.0.2:5000|R1/udp/host/10.0.0.3:6000');
    expect(pair.foundation).toBe(`${pair.local.foundation}:${pair.remote.foundation}`);
  });
});
