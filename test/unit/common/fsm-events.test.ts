import { describe, expect, it } from 'vitest';
import { StateMachine, type Transition } from '../../../main/common/fsm';
import { TypedEmitter } from '../../../main/common/events';
import { MediapathError, toErrorInfo } from '../../../main/common/errors';

type S = 'idle' | 'busy' | 'done';

describe('StateMachine', () => {
  it('moves only along the table and reports each move once', () => {
    const seen: Transition<S>[] = [];
    let t = 0;
    const m = new StateMachine<S>('test', 'idle', { idle: ['busy'], busy: ['done', 'idle'], done: [] }, () => t, (x) => seen.push(x));
    t = 5;
    m.transition('busy', 'start');
    expect(m.state).toBe('busy');
    expect(seen).toEqual([{ from: 'idle', to: 'busy', reason: 'start', at: 5 }]);
    expect(() => m.transition('busy', 'again')).toThrow(/illegal transition busy → busy/);
    m.transition('done', 'finish');
    expect(m.canMove('idle')).toBe(false);
    expect(() => m.transition('idle', 'reopen')).toThrow(MediapathError);
  });
});

describe('TypedEmitter', () => {
  it('delivers typed payloads, survives a throwing listener, disposes', () => {
    const errors: unknown[] = [];
    const e = new TypedEmitter<{ a: number; b: string }>((x) => errors.push(x));
    const got: number[] = [];
    e.on('a', () => {
      throw new Error('boom');
    });
    const d = e.on('a', (n) => got.push(n));
    e.once('b', () => got.push(-1));
    e.emit('a', 1);
    e.emit('b', 'x');
    e.emit('b', 'y');
    d.dispose();
    e.emit('a', 2);
    expect(got).toEqual([1, -1]);
    expect(errors).toHaveLength(2);
    expect(e.listenerCount('b')).toBe(0);
  });
});

describe('errors', () => {
  it('turns anything thrown into ErrorInfo with a code', () => {
    expect(toErrorInfo(new MediapathError('TURN_TIMEOUT', 'x', { layer: 'turn', peer: { ip: '1.2.3.4', port: 1 } }))).toEqual({ code: 'TURN_TIMEOUT', message: 'x', layer: 'turn', peer: { ip: '1.2.3.4', port: 1 } });
    expect(toErrorInfo(new Error('y'))).toEqual({ code: 'INTERNAL', message: 'y' });
    expect(toErrorInfo('z')).toEqual({ code: 'INTERNAL', message: 'z' });
  });
});
