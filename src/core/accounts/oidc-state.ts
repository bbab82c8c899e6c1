/**
 * The short-lived flow cookie of a single sign-on: provider, `state`, `nonce`, PKCE verifier and the
 * page to return to, sealed with AES-256-GCM so the browser can neither read the verifier nor change
 * anything. Stateless, so any instance can finish a sign-in another started. The key is derived from
 * the instance secret (the same on every instance); a random one per process without it.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** How long a started sign-in may take before the callback is refused. */
export const OIDC_FLOW_TTL_MS = 10 * 60_000;

export interface OidcFlow {
  provider: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** A path on this site (`/c/abc`), checked when the flow starts. */
  returnTo: string;
  /** Epoch ms after which the flow is refused. */
  expiresAt: number;
}

const VERSION = 'o1';
const AAD = Buffer.from('ponder oidc flow v1');

export class OidcFlowSealer {
  readonly #key: Buffer;

  constructor(secret: Uint8Array = randomBytes(32)) {
    this.#key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'ponder oidc flow cookie v1', 32));
  }

  seal(flow: OidcFlow): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(AAD);
    const body = Buffer.concat([cipher.update(JSON.stringify(flow), 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** The flow when `sealed` is genuine and unexpired at `now`; null otherwise. */
  open(sealed: string | undefined, now: number): OidcFlow | null {
    if (!sealed?.startsWith(`${VERSION}.`) || sealed.length > 4096) return null;
    const raw = Buffer.from(sealed.slice(VERSION.length + 1), 'base64url');
    if (raw.length < 12 + 16 + 2) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
      decipher.setAAD(AAD);
      decipher.setAuthTag(raw.subarray(12, 28));
      const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      const flow = JSON.parse(text) as OidcFlow;
      return typeof flow.expiresAt === 'number' && flow.expiresAt > now ? flow : null;
    } catch {
      return null;
    }
  }
}

/** `raw` when it is a path on this site (not `//host` or `/\host`), else `/`. */
export function safeReturnTo(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length > 1000) return '/';
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return '/';
  // Control characters (CR/LF in a Location header) are never needed in a page path.
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) return '/';
  return raw;
}
