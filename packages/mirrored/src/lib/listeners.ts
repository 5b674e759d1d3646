import { describeType, displayValue } from "@keyprovider/core";

/** Listeners per event name, for a small typed `on(event, listener)`. */
export class Listeners<Events extends object> {
  readonly #names: readonly (keyof Events & string)[];
  readonly #listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  constructor(names: readonly (keyof Events & string)[]) {
    this.#names = names;
  }

  /** Add a listener; returns the function that removes it. */
  on<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): () => void {
    if (!this.#names.includes(event)) {
      throw new TypeError(`unknown event ${displayValue(event)}; known: ${this.#names.join(", ")}`);
    }
    if (typeof listener !== "function") {
      throw new TypeError(`listener must be a function, got ${describeType(listener)}`);
    }
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    const entry = listener as (payload: never) => void;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /** Call every listener of `event`; a listener that throws does not stop the others or the caller. */
  emit<E extends keyof Events & string>(event: E, payload: Events[E]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (listener as (payload: Events[E]) => void)(payload);
      } catch {
        // A monitoring hook must not turn a served read or a primary's completed write into a failure.
      }
    }
  }
}
