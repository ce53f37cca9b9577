/** Something that can be undone: a listener, a subscription, a socket handler. */
export interface Disposable {
  dispose(): void;
}

type Listener<T> = (payload: T) => void;

interface ListenerSlot {
  readonly set: Set<Listener<never>>;
  /** The set as an array, built on the first emit after a change. */
  snapshot: Listener<never>[] | undefined;
}

/**
 * A small typed emitter: `Events` maps event names to payload types, so `on('x', cb)` gets the
 * right payload and a misspelt name fails to compile. A throwing listener does not stop the
 * others; its error goes to `onListenerError` (the logger, by default nowhere).
 */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown }> {
  private readonly listeners = new Map<keyof Events, ListenerSlot>();

  constructor(private readonly onListenerError: (e: unknown) => void = () => undefined) {}

  on<K extends keyof Events>(name: K, cb: Listener<Events[K]>): Disposable {
    let slot = this.listeners.get(name);
    if (!slot) {
      slot = { set: new Set(), snapshot: undefined };
      this.listeners.set(name, slot);
    }
    const s = slot;
    s.set.add(cb as Listener<never>);
    s.snapshot = undefined;
    return {
      dispose: () => {
        if (s.set.delete(cb as Listener<never>)) s.snapshot = undefined;
      },
    };
  }

  once<K extends keyof Events>(name: K, cb: Listener<Events[K]>): Disposable {
    const d = this.on(name, (p) => {
      d.dispose();
      cb(p);
    });
    return d;
  }

  emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    const slot = this.listeners.get(name);
    if (!slot || slot.set.size === 0) return;
    // The listeners as they were when the emit began: one added meanwhile waits for the next
    // emit, one removed meanwhile still hears this one. The array is rebuilt only after the set
    // changed (never mutated), so a hot event (a datagram) costs no copy per emit.
    const list = (slot.snapshot ??= [...slot.set]);
    for (let i = 0; i < list.length; i++) {
      try {
        (list[i] as Listener<Events[K]>)(payload);
      } catch (e) {
        this.onListenerError(e);
      }
    }
  }

  listenerCount(name?: keyof Events): number {
    if (name !== undefined) return this.listeners.get(name)?.set.size ?? 0;
    let n = 0;
    for (const s of this.listeners.values()) n += s.set.size;
    return n;
  }

  removeAll(): void {
    this.listeners.clear();
  }
}
