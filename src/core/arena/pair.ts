/** The arena's draw: two different models out of the ready ones, uniformly, in a random order. */

/**
 * Two distinct entries of `ready` (duplicates removed), each ordered pair equally likely, or `null` with
 * fewer than two. `randomInt(n)` is a uniform integer in [0, n).
 */
export function drawPair(
  ready: readonly string[],
  randomInt: (n: number) => number,
): [string, string] | null {
  const ids = [...new Set(ready)];
  if (ids.length < 2) return null;
  const first = randomInt(ids.length);
  // The second is drawn from the others, so it is uniform among them and never the first.
  const second = (first + 1 + randomInt(ids.length - 1)) % ids.length;
  return [ids[first]!, ids[second]!];
}
