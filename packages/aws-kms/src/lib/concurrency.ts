/**
 * `fn` over every item with at most `limit` running at once; results in input order. The first
 * failure rejects once the items already running have settled (none is left running behind it).
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let failure: unknown;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index]!, index);
      } catch (error) {
        if (!failed) failure = error;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw failure;
  return results;
}

/**
 * Wait for a shared promise (one look-up several calls wait on), but stop waiting as soon as this
 * caller's signal fires, rejecting with its reason. The shared work goes on for the others.
 */
export function waitFor<T>(shared: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return shared;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an abort rejects with signal.reason, as fetch does
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    shared.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rethrown as it came
        reject(error);
      },
    );
  });
}

/**
 * One promise per key while it runs: a second caller for the same key joins the first instead of
 * starting the same KMS requests again.
 */
export class SingleFlight<K, T> {
  readonly #running = new Map<K, Promise<T>>();

  run(key: K, fn: () => Promise<T>): Promise<T> {
    let running = this.#running.get(key);
    if (running === undefined) {
      running = fn().finally(() => this.#running.delete(key));
      this.#running.set(key, running);
    }
    return running;
  }
}

/** Writes to one kid run one after another within the process (rotations, activation, destruction). */
export class KidLocks {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<T>(kid: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(kid) ?? Promise.resolve();
    const current = previous.then(fn, fn);
    const tail = current.catch(() => undefined);
    this.#tails.set(kid, tail);
    try {
      return await current;
    } finally {
      if (this.#tails.get(kid) === tail) this.#tails.delete(kid);
    }
  }
}
