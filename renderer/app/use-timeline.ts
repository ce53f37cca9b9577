import { useEffect, useRef, useState } from 'react';
import type { EngineEvent, MediapathApi } from '../../main/api';

/**
 * The run's events as React state. Events stream in far faster than frames (a lab run emits
 * thousands in milliseconds), so they are queued and applied once per animation frame; a
 * `run.started` starts a new list.
 */
export function useTimeline(api: MediapathApi): { events: readonly EngineEvent[]; replace: (events: readonly EngineEvent[]) => void } {
  const [events, setEvents] = useState<readonly EngineEvent[]>([]);
  const queue = useRef<EngineEvent[]>([]);
  const frame = useRef<number | null>(null);

  useEffect(() => {
    let alive = true;
    const flush = (): void => {
      frame.current = null;
      const batch = queue.current.splice(0);
      if (!batch.length || !alive) return;
      setEvents((prev) => {
        let next = prev;
        let start = 0;
        for (let i = batch.length - 1; i >= 0; i--) {
          if (batch[i]!.type === 'run.started') {
            next = [];
            start = i;
            break;
          }
        }
        return [...next, ...batch.slice(start)];
      });
    };
    const off = api.onDidEvent((e) => {
      queue.current.push(e);
      frame.current ??= requestAnimationFrame(flush);
    });
    void api.currentRun().then((r) => {
      if (alive && r.ok && r.value.events.length) setEvents((prev) => (prev.length ? prev : r.value.events));
    });
    return () => {
      alive = false;
      off();
      if (frame.current !== null) cancelAnimationFrame(frame.current);
    };
  }, [api]);

  return { events, replace: (e) => setEvents(e) };
}
