import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gguf, writeGgufFile } from '../gguf/gguf-writer.ts';
import { Prng } from '../gguf/prng.ts';
import { encodeTensorData } from '../gguf/quantize.ts';
import { ensureTestModel } from '../gguf/test-model.ts';
import {
  DEFAULT_MODEL_NAME,
  DEFAULT_MODEL_SOURCE,
  type PullError,
  type PullProgress,
  parsePullSource,
  pullModel,
} from './pull.ts';

let dir: string;
let model: Buffer;
let tiny: Buffer;
let server: Server;
let base: string;
const ranges: Array<[string, string | undefined]> = [];
let cutOnce = true;

function sendRange(req: IncomingMessage, res: ServerResponse, body: Buffer, declared = body.length): void {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (!m) {
    res.writeHead(200, { 'content-length': declared, 'accept-ranges': 'bytes' });
    res.end(body);
    return;
  }
  const start = Number(m[1]);
  if (start >= body.length) {
    res.writeHead(416, { 'content-range': `bytes */${declared}` });
    res.end();
    return;
  }
  res.writeHead(206, {
    'content-length': declared - start,
    'content-range': `bytes ${start}-${declared - 1}/${declared}`,
  });
  res.end(body.subarray(start));
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  ranges.push([path, req.headers.range]);
  switch (path) {
    case '/files/small.gguf':
      sendRange(req, res, model);
      return;
    case '/files/cut.gguf':
      if (cutOnce && req.headers.range === undefined) {
        // Announce the whole file, send half, drop the connection.
        cutOnce = false;
        res.writeHead(200, { 'content-length': model.length });
        res.write(model.subarray(0, model.length >> 1), () => res.socket?.destroy());
        return;
      }
      sendRange(req, res, model);
      return;
    case '/files/liar.gguf':
      // Claims 1000 bytes more than it has.
      res.on('finish', () => req.socket.destroy());
      if (req.headers.range === undefined) {
        res.writeHead(200, { 'content-length': model.length + 1000 });
        res.write(model, () => res.socket?.destroy());
        return;
      }
      sendRange(req, res, model, model.length + 1000);
      return;
    case '/files/text.gguf':
      sendRange(req, res, Buffer.from('<html>not a model</html>'));
      return;
    case '/files/hang.gguf':
      return; // never answers
    case '/api/models/someone/Tiny-GGUF':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          siblings: [
            { rfilename: 'README.md' },
            { rfilename: 'Tiny-Q4_0.gguf' },
            { rfilename: 'Tiny-Q8_0.gguf' },
          ],
        }),
      );
      return;
    case '/someone/Tiny-GGUF/resolve/main/Tiny-Q8_0.gguf':
      sendRange(req, res, tiny);
      return;
    default:
      res.writeHead(404).end();
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ponder-pull-'));
  const smallPath = join(dir, 'small-src.gguf');
  const values = new Prng(3).fillNormal(new Float32Array(64 * 1024), 1);
  await writeGgufFile(smallPath, {
    metadata: [['general.architecture', gguf.str('llama')]],
    tensors: [
      { name: 'w', dims: [64, 1024], type: 'f32', data: () => [encodeTensorData(values, 64, 'f32')] },
    ],
  });
  model = await readFile(smallPath);
  tiny = await readFile(await ensureTestModel());
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

async function pullError(promise: Promise<unknown>): Promise<PullError> {
  try {
    await promise;
  } catch (err) {
    assert.equal((err as Error).name, 'PullError');
    return err as PullError;
  }
  assert.fail('expected a PullError');
}

describe('pullModel', () => {
  test('parses the three kinds of source', () => {
    assert.deepEqual(parsePullSource(DEFAULT_MODEL_SOURCE), {
      kind: 'hf',
      user: 'bartowski',
      repo: 'DeepSeek-R1-Distill-Qwen-1.5B-GGUF',
      quant: 'Q4_K_M',
    });
    assert.equal(DEFAULT_MODEL_NAME, 'DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M');
    assert.equal(parsePullSource('https://example.com/a/b.gguf').kind, 'url');
    assert.deepEqual(parsePullSource('m.gguf', '/tmp/x'), { kind: 'path', path: '/tmp/x/m.gguf' });
    assert.throws(() => parsePullSource('hf:nope'), /hf:user\/repo:QUANT/);
    assert.throws(() => parsePullSource('ftp://host/a.gguf'), /unsupported URL scheme/);
  });

  test('offline for real: fails fast and names the alternatives', async () => {
    const modelsDir = join(dir, 'offline');
    const err = await pullError(pullModel(DEFAULT_MODEL_SOURCE, { modelsDir }));
    assert.equal(err.code, 'offline');
    assert.match(err.message, /huggingface\.co/);
    assert.match(err.message, /--model \/path\/to\/model\.gguf/);
    assert.match(err.message, /PONDER_UPSTREAMS/);
    assert.deepEqual(await readdir(modelsDir), []);
  });

  test('offline, a model pulled earlier is kept and found', async () => {
    const modelsDir = join(dir, 'offline-present');
    await mkdir(modelsDir, { recursive: true });
    await writeFile(join(modelsDir, `${DEFAULT_MODEL_NAME}.gguf`), model);
    const result = await pullModel(DEFAULT_MODEL_SOURCE, { modelsDir });
    assert.deepEqual(result, {
      name: DEFAULT_MODEL_NAME,
      path: join(modelsDir, `${DEFAULT_MODEL_NAME}.gguf`),
      sizeBytes: model.length,
      fetched: false,
    });
  });

  test('a refused connection and a server that never answers are offline errors too', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const modelsDir = join(dir, 'refused');
    const refused = await pullError(pullModel(`http://127.0.0.1:${port}/m.gguf`, { modelsDir }));
    assert.equal(refused.code, 'offline');
    assert.match(refused.message, /ECONNREFUSED/);
    const hang = await pullError(pullModel(`${base}/files/hang.gguf`, { modelsDir, connectTimeoutMs: 200 }));
    assert.equal(hang.code, 'offline');
    assert.match(hang.message, /no answer/);
  });

  test('downloads a URL with progress, then keeps the existing file', async () => {
    const modelsDir = join(dir, 'url');
    const progress: PullProgress[] = [];
    const result = await pullModel(`${base}/files/small.gguf`, {
      modelsDir,
      onProgress: (p) => progress.push(p),
    });
    assert.equal(result.name, 'small');
    assert.equal(result.fetched, true);
    assert.deepEqual(await readFile(result.path), model);
    assert.deepEqual(await readdir(modelsDir), ['small.gguf']);
    const last = progress.at(-1);
    assert.equal(last?.bytes, model.length);
    assert.equal(last?.total, model.length);
    const again = await pullModel(`${base}/files/small.gguf`, { modelsDir });
    assert.equal(again.fetched, false);
  });

  test('resumes with Range after the connection is cut mid-way', async () => {
    const modelsDir = join(dir, 'cut');
    ranges.length = 0;
    const result = await pullModel(`${base}/files/cut.gguf`, { modelsDir });
    assert.deepEqual(await readFile(result.path), model);
    const cutRequests = ranges.filter(([p]) => p === '/files/cut.gguf');
    assert.equal(cutRequests[0]?.[1], undefined);
    assert.match(cutRequests.at(-1)?.[1] ?? '', /^bytes=\d+-$/);
    assert.ok(Number(/\d+/.exec(cutRequests.at(-1)?.[1] ?? '')?.[0]) > 0);
  });

  test('resumes a .partial left by an earlier run', async () => {
    const modelsDir = join(dir, 'partial');
    await mkdir(modelsDir, { recursive: true });
    await writeFile(join(modelsDir, 'small.gguf.partial'), model.subarray(0, 1000));
    ranges.length = 0;
    const result = await pullModel(`${base}/files/small.gguf`, { modelsDir });
    assert.deepEqual(ranges, [['/files/small.gguf', 'bytes=1000-']]);
    assert.deepEqual(await readFile(result.path), model);
  });

  test('a server that lies about the size is a size error, and nothing is kept', async () => {
    const modelsDir = join(dir, 'liar');
    const err = await pullError(pullModel(`${base}/files/liar.gguf`, { modelsDir }));
    assert.equal(err.code, 'size_mismatch');
    assert.deepEqual(await readdir(modelsDir), []);
  });

  test('a file that is not GGUF is rejected and removed; 404 is not_found', async () => {
    const modelsDir = join(dir, 'text');
    const err = await pullError(pullModel(`${base}/files/text.gguf`, { modelsDir }));
    assert.equal(err.code, 'not_gguf');
    assert.deepEqual(await readdir(modelsDir), []);
    assert.equal((await pullError(pullModel(`${base}/files/gone.gguf`, { modelsDir }))).code, 'not_found');
  });

  test('hf:user/repo:QUANT picks the matching file from the repo listing', async () => {
    const modelsDir = join(dir, 'hf');
    const result = await pullModel('hf:someone/Tiny-GGUF:q8_0', { modelsDir, hfBaseUrl: base });
    assert.equal(result.name, 'Tiny-Q8_0');
    assert.equal(result.sizeBytes, tiny.length);
    const none = await pullError(pullModel('hf:someone/Tiny-GGUF:Q5_K_M', { modelsDir, hfBaseUrl: base }));
    assert.equal(none.code, 'no_matching_file');
    assert.match(none.message, /Tiny-Q4_0\.gguf, Tiny-Q8_0\.gguf/);
    const missing = await pullError(pullModel('hf:someone/Nothing:Q4_0', { modelsDir, hfBaseUrl: base }));
    assert.equal(missing.code, 'not_found');
  });

  test('a local path is linked or copied in after validation', async () => {
    const modelsDir = join(dir, 'local');
    const src = join(dir, 'Local-Model-Q8_0.gguf');
    await writeFile(src, model);
    const result = await pullModel(src, { modelsDir });
    assert.equal(result.name, 'Local-Model-Q8_0');
    assert.deepEqual(await readFile(result.path), model);
    await writeFile(join(dir, 'bad.gguf'), 'nope');
    assert.equal((await pullError(pullModel(join(dir, 'bad.gguf'), { modelsDir }))).code, 'not_gguf');
    assert.equal((await pullError(pullModel(join(dir, 'missing.gguf'), { modelsDir }))).code, 'not_found');
  });

  test('one download per model at a time; a lock left by a dead process is taken over', async () => {
    const modelsDir = join(dir, 'locked');
    await mkdir(modelsDir, { recursive: true });
    const lock = join(modelsDir, 'small.gguf.lock');
    await writeFile(lock, String(process.pid));
    const busy = await pullError(pullModel(`${base}/files/small.gguf`, { modelsDir }));
    assert.equal(busy.code, 'busy');
    assert.match(busy.message, new RegExp(`pid ${process.pid}`));
    const child = spawn(process.execPath, ['-e', '0']);
    await once(child, 'exit');
    await writeFile(lock, String(child.pid));
    const result = await pullModel(`${base}/files/small.gguf`, { modelsDir });
    assert.deepEqual(await readFile(result.path), model);
    assert.deepEqual(await readdir(modelsDir), ['small.gguf']);
  });

  test('cancelling stops the download', async () => {
    const modelsDir = join(dir, 'cancel');
    const controller = new AbortController();
    controller.abort();
    const err = await pullError(
      pullModel(`${base}/files/small.gguf`, { modelsDir, signal: controller.signal }),
    );
    assert.equal(err.code, 'aborted');
  });
});
