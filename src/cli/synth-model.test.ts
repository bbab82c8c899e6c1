import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readGgufHeader } from '../inference/gguf/gguf-reader.ts';

const BIN = fileURLToPath(new URL('../../bin/ponder.js', import.meta.url));
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ponder-synth-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function ponder(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout, stderr: e.stderr };
  }
}

test('ponder synth-model writes a loadable tiny model', async () => {
  const out = join(dir, 'nested', 'tiny.gguf');
  const { code, stdout, stderr } = await ponder([
    'synth-model',
    '--preset',
    'tiny',
    '--quant',
    'q4_0',
    '--out',
    out,
  ]);
  assert.equal(code, 0, stderr);
  assert.equal(stdout.trim(), out);
  assert.match(stderr, /wrote .*tiny\.gguf/);
  const header = await readGgufHeader(out, { readArrays: false });
  assert.equal(header.metadata.get('general.architecture'), 'qwen2');
  assert.equal(header.metadata.get('general.file_type'), 2);
  assert.deepEqual(await readdir(join(dir, 'nested')), ['tiny.gguf']);
});

test('ponder synth-model: one-line errors for a bad preset, quant or path', async () => {
  const badPreset = await ponder(['synth-model', '--preset', 'r1-70b', '--out', join(dir, 'x.gguf')]);
  assert.equal(badPreset.code, 1);
  assert.equal(
    badPreset.stderr,
    'ponder: unknown model preset "r1-70b" (choose one of: tiny, r1-1.5b, embed-tiny)\n',
  );
  const badPath = await ponder(['synth-model', '--quant', 'q4_0', '--out', '/proc/ponder-nope/x.gguf']);
  assert.equal(badPath.code, 1);
  assert.match(badPath.stderr, /^ponder: cannot write \/proc\/ponder-nope\/x\.gguf: .+\n$/);
  const badQuant = await ponder(['synth-model', '--quant', 'f16', '--out', join(dir, 'x.gguf')]);
  assert.equal(badQuant.code, 1);
  assert.match(badQuant.stderr, /unknown quantisation "f16"/);
});
