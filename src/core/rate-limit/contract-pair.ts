/**
 * What the shared-state contract suites (`*-contract.ts`) are given: two instances that share one state,
 * as two Ponder processes would (Redis: two connections), or one instance twice (in-process).
 */
export interface InstancePair<T> {
  a: T;
  b: T;
  /** Disposes both and removes the state they made. */
  close(): Promise<void>;
}

/** Runs `body` on a fresh pair and closes it whatever happens. */
export async function withPair<T>(
  make: () => Promise<InstancePair<T>>,
  body: (a: T, b: T) => Promise<void>,
): Promise<void> {
  const pair = await make();
  try {
    await body(pair.a, pair.b);
  } finally {
    await pair.close();
  }
}
