/**
 * GGUF models on disk: `<dataDir>/models/<name>.gguf`. Listing, resolving `--model PATH|NAME`, validation and
 * removal, with typed errors that say where we looked and what to do.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { LLAMA_FILE_TYPE_NAMES } from '../gguf/gguf-format.ts';
import { type GgufHeader, GgufReadError, readGgufHeader } from '../gguf/gguf-reader.ts';

export type ModelFileErrorCode =
  | 'model_not_found'
  | 'not_a_file'
  | 'not_gguf'
  | 'unsupported_version'
  | 'truncated'
  | 'invalid_name'
  | 'io';

export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
  constructor(
    readonly code: ModelFileErrorCode,
    message: string,
    /** The file concerned, when there is one. */
    readonly path?: string,
  ) {
    super(message);
  }
}

export interface ModelFileInfo {
  /** File name without `.gguf`: what `--model NAME` and `ponder rm NAME` take. */
  name: string;
  path: string;
  sizeBytes: number;
  /** Quantisation (e.g. `Q4_K_M`), from `general.file_type` or else the file name; null when unknown. */
  quant: string | null;
  /** Set when the file cannot be used (not GGUF, truncated…); the model is still listed so it can be removed. */
  problem?: string;
}

export const MODEL_EXTENSION = '.gguf';

/** `<dataDir>/models`, absolute. */
export function modelsDirOf(dataDir: string, cwd = process.cwd()): string {
  return resolve(cwd, dataDir, 'models');
}

/** Names are plain file names: no separators, no leading dot, no control characters. */
export function isValidModelName(name: string): boolean {
  return /^[^/\\\0-\x1f.][^/\\\0-\x1f]{0,199}$/.test(name) && name !== '..';
}

function assertName(name: string): void {
  if (!isValidModelName(name)) {
    throw new ModelFileError(
      'invalid_name',
      `"${name}" is not a valid model name (a file name without directories)`,
    );
  }
}

/** `Q4_K_M`, `Q8_0`, `IQ4_XS`, `F16`, `BF16` … found in a file name, upper-cased. */
export function quantFromFileName(fileName: string): string | null {
  const m = /(?:^|[-_.])((?:I?Q\d(?:_[A-Z0-9]+)*)|BF16|F16|F32)(?=$|[-_.])/i.exec(
    fileName.replace(/\.gguf$/i, ''),
  );
  return m?.[1] ? m[1].toUpperCase() : null;
}

function quantFromHeader(header: GgufHeader): string | null {
  const fileType = header.metadata.get('general.file_type');
  return typeof fileType === 'number' ? (LLAMA_FILE_TYPE_NAMES[fileType] ?? null) : null;
}

/**
 * Validates that `path` is a complete GGUF v3 file and returns its header.
 * Throws {@link ModelFileError}: `model_not_found`, `not_a_file`, `not_gguf`, `unsupported_version`, `truncated`.
 */
export async function validateModelFile(path: string): Promise<GgufHeader> {
  try {
    return await readGgufHeader(path, { readArrays: false });
  } catch (err) {
    if (!(err instanceof GgufReadError)) throw err;
    switch (err.code) {
      case 'not_found':
        throw new ModelFileError('model_not_found', err.message, path);
      case 'not_a_file':
        throw new ModelFileError('not_a_file', err.message, path);
      case 'not_gguf':
      case 'corrupt':
        throw new ModelFileError('not_gguf', `${err.message}; expected a .gguf model file`, path);
      case 'unsupported_version':
        throw new ModelFileError('unsupported_version', err.message, path);
      case 'truncated':
        throw new ModelFileError(
          'truncated',
          `${err.message} (an interrupted download? pull it again)`,
          path,
        );
      default:
        throw new Error(`unreachable: ${err.code satisfies never}`);
    }
  }
}

/** Models in `modelsDir`, sorted by name. A missing directory is an empty list. */
export async function listModels(modelsDir: string): Promise<ModelFileInfo[]> {
  let entries: string[];
  try {
    entries = await readdir(modelsDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ModelFileError('io', `cannot read ${modelsDir}: ${(err as Error).message}`, modelsDir);
  }
  const out: ModelFileInfo[] = [];
  for (const file of entries.sort()) {
    if (!file.toLowerCase().endsWith(MODEL_EXTENSION) || file.startsWith('.')) continue;
    const path = join(modelsDir, file);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) continue;
    const info: ModelFileInfo = {
      name: file.slice(0, -MODEL_EXTENSION.length),
      path,
      sizeBytes: st.size,
      quant: quantFromFileName(file),
    };
    try {
      info.quant = quantFromHeader(await validateModelFile(path)) ?? info.quant;
    } catch (err) {
      info.problem = err instanceof ModelFileError ? err.message : String(err);
    }
    out.push(info);
  }
  return out;
}

export interface ResolveModelOptions {
  modelsDir: string;
  /** Base for relative paths. Default `process.cwd()`. */
  cwd?: string;
  /** Read and check the GGUF header. Default true. */
  validate?: boolean;
}

/**
 * Resolves `--model PATH|NAME`: an existing file path wins, else `<modelsDir>/<NAME>.gguf`
 * (NAME may already end in `.gguf`). Returns an absolute path.
 */
export async function resolveModel(ref: string, options: ResolveModelOptions): Promise<string> {
  const cwd = options.cwd ?? process.cwd();
  const asPath = resolve(cwd, ref);
  const candidates = [asPath];
  const looksLikeName = !isAbsolute(ref) && !ref.includes('/') && !ref.includes('\\');
  if (looksLikeName && isValidModelName(ref)) {
    const file = ref.toLowerCase().endsWith(MODEL_EXTENSION) ? ref : `${ref}${MODEL_EXTENSION}`;
    candidates.push(join(options.modelsDir, file));
  }
  for (const path of candidates) {
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) continue;
    if (options.validate ?? true) await validateModelFile(path);
    return path;
  }
  const looked = [...new Set(candidates)].join(' and ');
  throw new ModelFileError(
    'model_not_found',
    `model "${ref}" not found (looked for ${looked}). Pass --model /path/to/model.gguf, ` +
      `download one with \`ponder pull <hf:user/repo:QUANT | https-URL | path>\`, or list local models with \`ponder models\``,
  );
}

/** Deletes `<modelsDir>/<name>.gguf` and any unfinished download of it. Returns the removed path. */
export async function removeModel(name: string, modelsDir: string): Promise<string> {
  const plain = name.toLowerCase().endsWith(MODEL_EXTENSION) ? name.slice(0, -MODEL_EXTENSION.length) : name;
  assertName(plain);
  const path = join(modelsDir, `${plain}${MODEL_EXTENSION}`);
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) {
    throw new ModelFileError(
      'model_not_found',
      `no model named "${plain}" in ${modelsDir} (see \`ponder models\` for the names)`,
      path,
    );
  }
  await rm(path);
  await rm(`${path}.partial`, { force: true });
  return path;
}

/** The local name a model file gets: its file name without `.gguf`. */
export function modelNameOf(fileName: string): string {
  const base = basename(fileName);
  return base.toLowerCase().endsWith(MODEL_EXTENSION) ? base.slice(0, -MODEL_EXTENSION.length) : base;
}
