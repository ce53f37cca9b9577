/** Something that can be undone: a listener, a subscription, a socket handler. */
export interface Disposable {
  dispose(): void;
}

type Listener<T> = (payload: T) => void;

/**
 * A small typed emitter: `Events` maps event names to payload types, so `on('x', cb)` gets the
 * right payload and a misspelt name fails to compile. A throwing listener does not stop the
 * others; its error goes to `onListenerError` (the logger, by default nowhere).
 */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown }> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  constructor(private readonly onListenerError: (e: unknown) => void = () => undefined) {}

  on<K extends keyof Events>(name: K, cb: Listener<Events[K]>): Disposable {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(cb as Listener<never>);
    return { dispose: () => set.delete(cb as Listener<never>) };
  }

  once<K extends keyof Events>(name: K, cb: Listener<Events[K]>): Disposable {
    const d = this.on(name, (p) => {
      d.dispose();
      cb(p);
    });
    return d;
  }

  emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const cb of [...set]) {
      try {
        (cb as Listener<Events[K]>)(payload);
      } catch (e) {
        this.onListenerError(e);
      }
    }
  }

  listenerCount(name?: keyof Events): number {
    if (name !== undefined) return this.listeners.get(name)?.size ?? 0;
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }

  removeAll(): void {
    this.listeners.clear();
  }
}
