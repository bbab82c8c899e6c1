/**
 * Errors Fastify answers before any route or hook runs (a malformed URL, headers too large, a request
 * Node's parser rejects) in the documented shape, never echoing the URL back. The body is the web and
 * the OpenAI shape at once (`{error: {code, message, type, param}}`): before routing the URL space
 * cannot be trusted (or even parsed), and both kinds of client read their own fields.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorFormats, sendError } from './errors.ts';

/** Fastify's `frameworkErrors` option (FST_ERR_BAD_URL, FST_ERR_ASYNC_CONSTRAINT). */
export function frameworkErrorHandler(
  formats: ErrorFormats,
  securityHeaders: Record<string, string>,
): (error: Error, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    // onRequest hooks do not run for these, so the headers they would add are set here.
    reply.headers(securityHeaders);
    sendError(formats, request, reply, error);
  };
}

const CLIENT_ERRORS: Record<string, { status: number; reason: string; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'Request Header Fields Too Large',
    code: 'headers_too_large',
    message: 'The request headers are too large.',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: 'Request Timeout',
    code: 'request_timeout',
    message: 'The request took too long to arrive.',
  },
};

const BAD_REQUEST = {
  status: 400,
  reason: 'Bad Request',
  code: 'invalid_request',
  message: 'The request is malformed.',
};

/** Fastify's `clientErrorHandler`: Node's HTTP parser refused the request, so only the socket is left. */
export function clientErrorHandler(
  securityHeaders: Record<string, string>,
): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const answer = CLIENT_ERRORS[error.code ?? ''] ?? BAD_REQUEST;
    const type = answer.status === 408 ? 'timeout_error' : 'invalid_request_error';
    const body = JSON.stringify({
      error: { code: answer.code, message: answer.message, type, param: null },
    });
    const headers = {
      ...securityHeaders,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    };
    const head = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.end(`HTTP/1.1 ${answer.status} ${answer.reason}\r\n${head}\r\n${body}`);
  };
}

/** Past this much unread body the connection is cut instead: nobody needs 413 for a gigabyte upload. */
const DRAIN_MAX_BYTES = 64 * 1024 * 1024;
const DRAIN_MAX_MS = 15_000;

/**
 * Reads and discards the rest of a refused body before answering. Fastify refuses an oversized body
 * before reading it and the socket is closed after the reply; a client still uploading then gets a TCP
 * reset, which fetch and the SDKs report as a connection error instead of the 413. Once the client has
 * sent everything it reads the answer.
 */
export function drainRequestBody(raw: IncomingMessage): Promise<void> {
  if (raw.readableEnded || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let bytes = 0;
    const finish = () => {
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', finish);
      raw.off('close', finish);
      raw.off('error', finish);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > DRAIN_MAX_BYTES) finish();
    };
    const timer = setTimeout(finish, DRAIN_MAX_MS);
    timer.unref();
    raw.on('data', onData);
    raw.once('end', finish);
    raw.once('close', finish);
    raw.once('error', finish);
    raw.resume();
  });
}

/** True for Fastify's "body too large" (content-length over the limit, or a longer stream). */
export function isBodyTooLarge(error: unknown): boolean {
  const e = error as { code?: unknown; statusCode?: unknown } | null;
  return e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e?.statusCode === 413;
}
