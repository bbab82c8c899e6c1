/**
 * Hashcash proof of work for sign-up under load: find a nonce such that SHA-256(challenge + ':' + nonce)
 * starts with `difficulty` zero bits. WebCrypto digests are async, so a batch runs in parallel per step.
 */

/** Counts leading zero bits of a digest. */
export function leadingZeroBits(bytes: Uint8Array): number {
  let bits = 0;
  for (const b of bytes) {
    if (b === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(b) - 24;
  }
  return bits;
}

/** The exact text hashed for a nonce; must match the server's check. */
export function powInput(challenge: string, nonce: string): string {
  return `${challenge}:${nonce}`;
}

const BATCH = 256;

/** Solves a challenge; rejects when aborted. `difficulty` above 32 is refused (it would never end). */
export async function solvePow(challenge: string, difficulty: number, signal?: AbortSignal): Promise<string> {
  if (!Number.isInteger(difficulty) || difficulty < 0 || difficulty > 32) {
    throw new Error(`Unsupported proof-of-work difficulty ${difficulty}`);
  }
  if (!globalThis.crypto?.subtle) {
    throw new Error(
      'This browser cannot solve the sign-up challenge here (WebCrypto needs HTTPS or localhost).',
    );
  }
  const encoder = new TextEncoder();
  for (let base = 0; ; base += BATCH) {
    signal?.throwIfAborted();
    const batch: Promise<ArrayBuffer>[] = [];
    for (let i = 0; i < BATCH; i++) {
      batch.push(crypto.subtle.digest('SHA-256', encoder.encode(powInput(challenge, String(base + i)))));
    }
    const digests = await Promise.all(batch);
    for (let i = 0; i < BATCH; i++) {
      const d = digests[i];
      if (d && leadingZeroBits(new Uint8Array(d)) >= difficulty) return String(base + i);
    }
  }
}
