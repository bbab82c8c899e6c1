/**
 * The cheap checks that tell whether a model file can be a loadable GGUF (exists, regular file, magic
 * bytes). Apart from the registry so the server process can run them without importing llama.cpp.
 */
import { open, stat } from 'node:fs/promises';
import { InferenceError, type ModelInfo } from '../types.ts';

/** Why the file cannot be a loadable GGUF, or undefined. */
export async function fileProblem(id: string, path: string): Promise<InferenceError | undefined> {
  const notReady = (why: string) =>
    new InferenceError('model_not_ready', `Model file for "${id}" at ${path} ${why}`);
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) return notReady('is not a regular file');
    size = s.size;
  } catch {
    return new InferenceError(
      'model_not_found',
      `Model file for "${id}" not found at ${path}: download it with \`ponder pull\`, or configure a local .gguf file`,
    );
  }
  if (size < 4) return notReady(`is empty or truncated (${size} bytes)`);
  const fh = await open(path, 'r');
  try {
    const { buffer } = await fh.read(Buffer.alloc(4), 0, 4, 0);
    if (buffer.toString('latin1') !== 'GGUF') return notReady('is not a GGUF file');
  } finally {
    await fh.close();
  }
  return undefined;
}

/** How a model that is not loaded is listed: unavailable with the reason, or ready to load on first request. */
export async function idleModelInfo(
  id: string,
  path: string,
  contextSize: number,
  lastError?: string,
): Promise<ModelInfo> {
  const info: ModelInfo = { id, provider: 'embedded', state: 'ready', contextSize };
  const problem = lastError ?? (await fileProblem(id, path))?.message;
  if (problem) Object.assign(info, { state: 'unavailable', detail: problem });
  else info.detail = 'not loaded yet: loads on first request';
  return info;
}
