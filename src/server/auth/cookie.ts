import type { FastifyReply } from 'fastify';
import { DEVICE_TOKEN_TTL_MS, SESSION_TTL_MS } from '../../core/accounts/index.ts';

export const SESSION_COOKIE = 'ponder_session';
/** Marks a browser that logged in to an account before (login throttling, core/accounts/device-token.ts). */
export const DEVICE_COOKIE = 'ponder_device';

function hardened(path: string, secure: boolean) {
  return { httpOnly: true, sameSite: 'lax', path, secure } as const;
}

export function setSessionCookie(reply: FastifyReply, token: string, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, token, {
    ...hardened('/', secure),
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(SESSION_COOKIE, hardened('/', secure));
}

/** Only the auth routes read it, so it is sent nowhere else; it outlives sessions and logouts. */
export function setDeviceCookie(reply: FastifyReply, token: string, secure: boolean): void {
  reply.setCookie(DEVICE_COOKIE, token, {
    ...hardened('/api/auth', secure),
    maxAge: Math.floor(DEVICE_TOKEN_TTL_MS / 1000),
  });
}
