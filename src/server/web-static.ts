/**
 * Serves the built web app (`dist/web`) at `/`: hashed assets cached for a year, `index.html` for
 * client-side routes (`/c/:id`), and a plain page saying to run `npm run build` when it is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isApiPath, isV1Path } from './auth/plugin.ts';

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ponder</title></head>
<body><h1>Ponder is running</h1>
<p>The web app has not been built. Run <code>npm run build</code> (or <code>npm start</code>) and reload.</p>
<p>The API is available under <code>/api</code> and <code>/v1</code>.</p></body></html>
`;

/** Returns the SPA fallback used by the not-found handler, or `null` when there is none. */
export async function installWebApp(
  app: FastifyInstance,
  webDir: string,
): Promise<((request: FastifyRequest, reply: FastifyReply) => FastifyReply | null) | null> {
  const indexPath = join(webDir, 'index.html');
  if (!existsSync(indexPath)) {
    app.get('/', { config: { public: true } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(NOT_BUILT_PAGE),
    );
    return null;
  }
  await app.register(fastifyStatic, {
    root: webDir,
    prefix: '/',
    wildcard: true,
    index: ['index.html'],
    // Hashed file names change with their content, so they may be cached forever; index.html never.
    setHeaders: (reply, path) => {
      const immutable = /[\\/]assets[\\/]/.test(path);
      reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  return (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return null;
    if (isApiPath(request.url) || isV1Path(request.url)) return null;
    // A missing file with an extension is a real 404, not a client-side route.
    const path = request.url.split('?')[0] ?? '';
    if (/\.[A-Za-z0-9]{1,8}$/.test(path)) return null;
    const html = readFileSync(indexPath);
    return reply.code(200).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  };
}
