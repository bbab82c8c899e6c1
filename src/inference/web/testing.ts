/**
 * Test helper (not used at runtime): a loopback web server for page reading. It serves the real HTML and
 * text files in `testdata/` with their types, plus pages that misbehave: a PDF, an image, a 404, a page
 * whose body never ends, a server that never answers, one over the size cap, a latin-1 page, redirects.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const TESTDATA = join(import.meta.dirname, 'testdata');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export interface PageServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Paths requested so far, in order. */
  requested: string[];
  /** User-Agent headers received. */
  userAgents: string[];
  close(): Promise<void>;
}

export async function startPageServer(): Promise<PageServer> {
  const requested: string[] = [];
  const userAgents: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requested.push(path);
    userAgents.push(req.headers['user-agent'] ?? '');
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    switch (path) {
      case '/paper.pdf':
        return send(200, 'application/pdf', '%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n');
      case '/image.png':
        return send(200, 'image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47]));
      case '/untyped':
        res.writeHead(200);
        return res.end('<p>no content type</p>');
      case '/slow-body':
        res.writeHead(200, { 'content-type': 'text/html' });
        return void res.write('<html><body><p>the rest never comes');
      case '/hang':
        return;
      case '/big.html':
        return send(200, 'text/html', `<html><body><p>${'a'.repeat(3 * 1024 * 1024)}</p></body></html>`);
      case '/latin1.html':
        return send(
          200,
          'text/html',
          Buffer.from(
            '<html><head><meta charset="iso-8859-1"><title>Café</title></head><body><p>Crème brûlée à la maison.</p></body></html>',
            'latin1',
          ),
        );
      case '/to-article':
        res.writeHead(302, { location: '/article.html#top' });
        return res.end();
      case '/to-private':
        res.writeHead(302, { location: 'http://10.0.0.1/admin' });
        return res.end();
      case '/empty.html':
        return send(200, 'text/html', '<html><body><script>1</script></body></html>');
    }
    const name = path.slice(1);
    const ext = name.slice(name.lastIndexOf('.'));
    if (!/^[a-z0-9-]+\.(html|txt)$/.test(name)) return send(404, 'text/html', '<h1>Not found</h1>');
    try {
      return send(200, TYPES[ext] ?? 'application/octet-stream', readFileSync(join(TESTDATA, name)));
    } catch {
      return send(404, 'text/html', '<h1>Not found</h1>');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requested,
    userAgents,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
