/**
 * DNS-rebinding defence: a page on another site can make its own domain resolve to 127.0.0.1 and then
 * talk to a local Ponder from the victim's browser as "same origin". The browser still sends the
 * attacker's name in `Host`, so only names this server is known by are accepted; others get 421.
 */
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors.ts';

export interface HostPolicyOptions {
  /** The address Ponder binds to (`config.host`). */
  bindHost: string;
  publicUrl?: string | undefined;
  allowedHosts?: string[] | undefined;
}

/** Probes from orchestrators use whatever address they dialled; these reveal nothing worth rebinding for. */
const ALWAYS_ALLOWED_PATHS = new Set(['/healthz', '/readyz']);

function isLoopbackBind(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * `null` accepts every host. A name-based allow-list otherwise; IP literals always pass, since a
 * rebinding attack needs a DNS name (the browser sends the name it resolved, never the address).
 */
export function hostMatcher(options: HostPolicyOptions): ((hostname: string) => boolean) | null {
  const names = new Set((options.allowedHosts ?? []).map((h) => h.toLowerCase()));
  if (names.has('*')) return null;
  if (options.publicUrl) names.add(new URL(options.publicUrl).hostname.toLowerCase());
  const localOnly = options.allowedHosts === undefined && !options.publicUrl;
  if (localOnly && !isLoopbackBind(options.bindHost)) return null;
  return (hostname) => {
    const name = hostname.toLowerCase().replace(/\.$/, '');
    if (isIP(name.replace(/^\[|\]$/g, '')) !== 0) return true;
    if (name === 'localhost' || name.endsWith('.localhost')) return true;
    return names.has(name);
  };
}

/** Splits `Host` into its name (IPv6 brackets kept) without the port. */
export function hostnameOf(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

export function installHostCheck(app: FastifyInstance, options: HostPolicyOptions): void {
  const allowed = hostMatcher(options);
  if (!allowed) return;
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    if (ALWAYS_ALLOWED_PATHS.has(path)) return;
    // `request.host` is `X-Forwarded-Host` from a trusted proxy, else `Host`.
    const host = request.host ?? '';
    if (host !== '' && allowed(hostnameOf(host))) return;
    throw new HttpError(
      421,
      'misdirected_request',
      'This server does not answer for that host name. Add it to allowedHosts (or set publicUrl).',
    );
  });
}
