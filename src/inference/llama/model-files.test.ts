import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureTestModel } from '../gguf/test-model.ts';
import {
  listModels,
  ModelFileError,
  modelsDirOf,
  quantFromFileName,
  removeModel,
  resolveModel,
  validateModelFile,
} from './model-files.ts';

let dir: string;
let modelsDir: string;
let tinyPath: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ponder-models-'));
  modelsDir = modelsDirOf(join(dir, 'data'));
  await mkdir(modelsDir, { recursive: true });
  tinyPath = await ensureTestModel();
  await copyFile(tinyPath, join(modelsDir, 'tiny.gguf'));
  const bytes = await readFile(tinyPath);
  await writeFile(join(modelsDir, 'Cut-Q4_K_M.gguf'), bytes.subarray(0, 5000));
  await writeFile(join(modelsDir, 'notes.gguf'), 'not a model at all');
  await writeFile(join(modelsDir, 'pending.gguf.partial'), bytes.subarray(0, 100));
  await writeFile(join(modelsDir, 'readme.txt'), 'x');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof ModelFileError, String(err));
    return err.code;
  }
}

describe('model files', () => {
  test('quantisation from a file name', () => {
    assert.equal(quantFromFileName('DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf'), 'Q4_K_M');
    assert.equal(quantFromFileName('model.q8_0.gguf'), 'Q8_0');
    assert.equal(quantFromFileName('x-IQ4_XS.gguf'), 'IQ4_XS');
    assert.equal(quantFromFileName('x-bf16.gguf'), 'BF16');
    assert.equal(quantFromFileName('plain.gguf'), null);
  });

  test('lists .gguf files with size and quant, flagging broken ones', async () => {
    const models = await listModels(modelsDir);
    assert.deepEqual(
      models.map((m) => [m.name, m.quant, m.problem === undefined]),
      [
        ['Cut-Q4_K_M', 'Q4_K_M', false],
        ['notes', null, false],
        ['tiny', 'Q8_0', true],
      ],
    );
    const tiny = models.find((m) => m.name === 'tiny');
    assert.equal(tiny?.path, join(modelsDir, 'tiny.gguf'));
    assert.ok((tiny?.sizeBytes ?? 0) > 1_000_000);
    assert.match(models[0]?.problem ?? '', /truncated/);
    assert.deepEqual(await listModels(join(dir, 'nowhere')), []);
  });

  test('validates: missing, not GGUF, truncated', async () => {
    assert.equal(await errorCode(validateModelFile(join(modelsDir, 'tiny.gguf'))), 'ok');
    assert.equal(await errorCode(validateModelFile(join(modelsDir, 'none.gguf'))), 'model_not_found');
    assert.equal(await errorCode(validateModelFile(join(modelsDir, 'notes.gguf'))), 'not_gguf');
    assert.equal(await errorCode(validateModelFile(join(modelsDir, 'Cut-Q4_K_M.gguf'))), 'truncated');
    assert.equal(await errorCode(validateModelFile(modelsDir)), 'not_a_file');
  });

  test('resolves a path first, then a name under the models dir', async () => {
    assert.equal(await resolveModel(tinyPath, { modelsDir }), tinyPath);
    assert.equal(await resolveModel('tiny', { modelsDir, cwd: dir }), join(modelsDir, 'tiny.gguf'));
    assert.equal(await resolveModel('tiny.gguf', { modelsDir, cwd: dir }), join(modelsDir, 'tiny.gguf'));
    assert.equal(
      await resolveModel('data/models/tiny.gguf', { modelsDir, cwd: dir }),
      join(modelsDir, 'tiny.gguf'),
    );
    assert.equal(await errorCode(resolveModel('notes', { modelsDir, cwd: dir })), 'not_gguf');
    await assert.rejects(resolveModel('missing', { modelsDir, cwd: dir }), (err: unknown) => {
      assert.ok(err instanceof ModelFileError);
      assert.equal(err.code, 'model_not_found');
      assert.ok(err.message.includes(join(modelsDir, 'missing.gguf')));
      assert.match(err.message, /--model \/path\/to\/model\.gguf/);
      assert.match(err.message, /ponder pull/);
      return true;
    });
  });

  test('removes a model and its partial download; bad names are refused', async () => {
    await writeFile(join(modelsDir, 'pending.gguf'), 'x');
    assert.equal(await removeModel('pending', modelsDir), join(modelsDir, 'pending.gguf'));
    assert.ok(!(await readdir(modelsDir)).some((f) => f.startsWith('pending')));
    assert.equal(await errorCode(removeModel('pending', modelsDir)), 'model_not_found');
    assert.equal(await errorCode(removeModel('../data', modelsDir)), 'invalid_name');
    assert.equal(await errorCode(removeModel('.hidden', modelsDir)), 'invalid_name');
  });
});
