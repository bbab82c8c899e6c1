import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureTestModel } from '../inference/gguf/test-model.ts';

const BIN = fileURLToPath(new URL('../../bin/ponder.js', import.meta.url));
let dir: string;
let modelPath: string;
let model: Buffer;
let server: Server;
let base: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ponder-models-cli-'));
  modelPath = await ensureTestModel();
  model = await readFile(modelPath);
  server = createServer((req, res) => {
    if (req.url !== '/m/Served-Q8_0.gguf') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': model.length });
    res.end(model);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

async function ponder(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir },
      timeout: 60_000,
      maxBuffer: 1 << 22,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('ponder pull / models / rm', () => {
  test('pull from a URL and from a local path, list, remove', async () => {
    const fromUrl = await ponder(['pull', `${base}/m/Served-Q8_0.gguf`]);
    assert.equal(fromUrl.code, 0, fromUrl.stderr);
    assert.equal(fromUrl.stdout.trim(), join(dir, 'data', 'models', 'Served-Q8_0.gguf'));
    assert.match(fromUrl.stderr, /Served-Q8_0 saved \(26\.\d MB\)/);

    const dataDir = join(dir, 'other');
    const local = await ponder(['pull', modelPath, '--data-dir', dataDir]);
    assert.equal(local.code, 0, local.stderr);
    assert.deepEqual(await readdir(join(dataDir, 'models')), ['tiny-q8_0.gguf']);

    const table = await ponder(['models']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^NAME\s+SIZE\s+QUANT\s+PATH$/);
    assert.match(lines[1] ?? '', /^Served-Q8_0\s+26\.\d MB\s+Q8_0\s+\/.*Served-Q8_0\.gguf$/);

    const json = await ponder(['models', '--json', '--data-dir', dataDir]);
    assert.equal(json.code, 0, json.stderr);
    const listed = JSON.parse(json.stdout) as Array<{
      name: string;
      sizeBytes: number;
      quant: string;
      path: string;
    }>;
    assert.deepEqual(
      listed.map((m) => [m.name, m.sizeBytes, m.quant]),
      [['tiny-q8_0', model.length, 'Q8_0']],
    );

    const removed = await ponder(['rm', 'tiny-q8_0', '--data-dir', dataDir]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(await readdir(join(dataDir, 'models')), []);
    const again = await ponder(['rm', 'tiny-q8_0', '--data-dir', dataDir]);
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      /^ponder: no model named "tiny-q8_0" in .* \(see `ponder models` for the names\)\n$/,
    );
  });

  test('pull offline and pull of a bad source fail with one clear line', async () => {
    const offline = await ponder(['pull', 'hf:bartowski/DeepSeek-R1-Distill-Qwen-1.5B-GGUF:Q4_K_M']);
    assert.equal(offline.code, 1);
    assert.match(offline.stderr, /ponder: pull failed: cannot reach huggingface\.co/);
    assert.match(offline.stderr, /--model \/path\/to\/model\.gguf/);
    assert.match(offline.stderr, /PONDER_UPSTREAMS/);
    const missing = await ponder(['pull', `${base}/m/Gone.gguf`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /ponder: pull failed: .*Gone\.gguf was not found \(HTTP 404\)/);
  });
});
