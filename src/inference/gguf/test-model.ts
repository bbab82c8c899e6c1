/**
 * Generated models for tests and benchmarks, cached under `<repo>/.cache/models/<preset>-<quant>.gguf`.
 * Written once; concurrent test processes race safely (each writes its own temporary file, rename is atomic).
 */
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { readGgufHeader } from './gguf-reader.ts';
import { type ModelPreset, type ModelQuant, SYNTH_VERSION_KEY, synthVersionOf } from './qwen2-model.ts';
import { synthesizeModel } from './synth-model.ts';

/** `<repo>/.cache/models`. */
export const TEST_MODELS_DIR = fileURLToPath(new URL('../../../.cache/models/', import.meta.url));

const inFlight = new Map<string, Promise<string>>();

async function isCurrent(path: string, version: number): Promise<boolean> {
  try {
    await stat(path);
  } catch {
    return false;
  }
  try {
    const header = await readGgufHeader(path, { readArrays: false });
    return header.metadata.get(SYNTH_VERSION_KEY) === version;
  } catch {
    return false;
  }
}

/**
 * Returns the path of a generated model of `preset` in `quant`, writing it first if it is missing or stale.
 * @param preset default `tiny` (tests); `r1-1.5b` is for benchmarks (takes a minute or more).
 * @param quant default `q8_0`.
 */
export function ensureTestModel(preset: ModelPreset = 'tiny', quant: ModelQuant = 'q8_0'): Promise<string> {
  const path = `${TEST_MODELS_DIR}${preset}-${quant}.gguf`;
  let pending = inFlight.get(path);
  if (pending === undefined) {
    pending = (async () => {
      if (await isCurrent(path, synthVersionOf(preset))) return path;
      await synthesizeModel({ preset, quant, out: path });
      return path;
    })();
    pending.catch(() => inFlight.delete(path));
    inFlight.set(path, pending);
  }
  return pending;
}
