import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../../../main/common/events';

// What an emit sees when listeners change under it: the listeners as they were when it began.
describe('TypedEmitter dispatch', () => {
  it('a listener added during an emit waits for the next one', () => {
    const e = new TypedEmitter<{ x: number }>();
    const got: string[] = [];
    e.on('x', (n) => {
      got.push(`a${n}`);
      if (n === 1) e.on('x', (m) => got.push(`b${m}`));
    });
    e.emit('x', 1);
    e.emit('x', 2);
    expect(got).toEqual(['a1', 'a2', 'b2']);
  });

  it('a listener removed during an emit still hears that emit, and no later one', () => {
    const e = new TypedEmitter<{ x: number }>();
    const got: string[] = [];
    e.on('x', (n) => {
      got.push(`a${n}`);
      if (n === 1) d.dispose();
    });
    const d = e.on('x', (n) => got.push(`b${n}`));
    e.emit('x', 1);
    e.emit('x', 2);
    expect(got).toEqual(['a1', 'b1', 'a2']);
    expect(e.listenerCount('x')).toBe(1);
  });

  it('removeAll during an emit finishes that emit; disposing twice or after removeAll is harmless', () => {
    const e = new TypedEmitter<{ x: number; y: string }>();
    const got: string[] = [];
    e.on('x', () => {
      got.push('a');
      e.removeAll();
    });
    const d = e.on('x', () => got.push('b'));
    e.emit('x', 1);
    e.emit('x', 2);
    d.dispose();
    d.dispose();
    expect(got).toEqual(['a', 'b']);
    expect(e.listenerCount()).toBe(0);
    const late = e.on('x', () => got.push('c'));
    e.emit('x', 3);
    late.dispose();
    e.emit('x', 4);
    expect(got).toEqual(['a', 'b', 'c']);
  });

  it('the same function added twice is one listener, as with a Set', () => {
    const e = new TypedEmitter<{ x: number }>();
    let n = 0;
    const f = (): void => {
      n++;
    };
    const d1 = e.on('x', f);
    e.on('x', f);
    e.emit('x', 0);
    expect(n).toBe(1);
    d1.dispose();
    e.emit('x', 0);
    expect(n).toBe(1);
  });
});
