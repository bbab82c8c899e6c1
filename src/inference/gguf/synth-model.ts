/** Writes a synthetic model file atomically: a temporary name beside the target, then a rename. */
import { randomBytes } from 'node:crypto';
import { readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ensureDir } from './ensure-dir.ts';
import { writeGgufFile } from './gguf-writer.ts';
import {
  isModelPreset,
  isModelQuant,
  MODEL_PRESETS,
  MODEL_QUANTS,
  type ModelPreset,
  type ModelQuant,
  qwen2GgufOptions,
} from './qwen2-model.ts';

export type SynthModelErrorCode = 'unknown_preset' | 'unknown_quant' | 'write_failed';

export class SynthModelError extends Error {
  override readonly name = 'SynthModelError';
  constructor(
    readonly code: SynthModelErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface SynthModelOptions {
  /** Model shape. Default `tiny`. */
  preset?: string;
  /** Quantisation of 2-D weights. Default `q8_0`. */
  quant?: string;
  /** Target file; its directory is created when missing. */
  out: string;
  /** Called as data is written, with bytes written and the final file size. */
  onProgress?: (written: number, total: number) => void;
  signal?: AbortSignal;
}

/** Checks a preset/quant pair given as strings (CLI flags) and narrows them. */
export function parseSynthChoice(
  preset = 'tiny',
  quant = 'q8_0',
): { preset: ModelPreset; quant: ModelQuant } {
  if (!isModelPreset(preset)) {
    throw new SynthModelError(
      'unknown_preset',
      `unknown model preset "${preset}" (choose one of: ${Object.keys(MODEL_PRESETS).join(', ')})`,
    );
  }
  if (!isModelQuant(quant)) {
    throw new SynthModelError(
      'unknown_quant',
      `unknown quantisation "${quant}" (choose one of: ${MODEL_QUANTS.join(', ')})`,
    );
  }
  return { preset, quant };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Temporary files of writers that died (a killed test run) would otherwise pile up, up to 2 GB each. */
async function removeStaleTemps(path: string): Promise<void> {
  const prefix = `${basename(path)}.`;
  const entries = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const entry of entries) {
    const m = /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(entry.startsWith(prefix) ? entry.slice(prefix.length) : '');
    if (m && !isAlive(Number(m[1]))) await rm(join(dirname(path), entry), { force: true });
  }
}

/**
 * Generates a synthetic R1-Distill-Qwen GGUF at `out`. The file appears complete or not at all.
 * @returns the absolute path and size in bytes.
 */
export async function synthesizeModel(options: SynthModelOptions): Promise<{ path: string; bytes: number }> {
  const { preset, quant } = parseSynthChoice(options.preset, options.quant);
  const path = resolve(options.out);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await ensureDir(dirname(path));
    await removeStaleTemps(path);
    const spec = await qwen2GgufOptions(preset, quant);
    const writeOptions = { ...spec, ...(options.onProgress && { onProgress: options.onProgress }) };
    const bytes = await writeGgufFile(
      tmp,
      options.signal ? { ...writeOptions, signal: options.signal } : writeOptions,
    );
    await rename(tmp, path);
    return { path, bytes };
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    if (err instanceof SynthModelError || (err as Error).name === 'AbortError') throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (err as Error).message;
    throw new SynthModelError('write_failed', `cannot write ${path}: ${why}`);
  }
}
