/**
 * `ponder pull`: fetch a GGUF model into the models directory, from Hugging Face (`hf:user/repo:QUANT`), an
 * http(s) URL or a local path. Downloads go to `<name>.gguf.partial`, resume with HTTP Range, are checked against
 * the announced size and the GGUF header, then renamed into place.
 */
import { copyFile, link, open, rename, rm, stat, truncate } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ensureDir } from '../gguf/ensure-dir.ts';
import {
  isValidModelName,
  MODEL_EXTENSION,
  ModelFileError,
  modelNameOf,
  validateModelFile,
} from './model-files.ts';
import { acquirePullLock } from './pull-lock.ts';
import {
  ALTERNATIVES,
  fetchWithTimeout,
  type HttpOptions,
  networkReason,
  PullError,
  parsePullSource,
  resolveHfFile,
} from './pull-source.ts';

export {
  type HttpOptions,
  PullError,
  type PullErrorCode,
  type PullSource,
  parsePullSource,
  resolveHfFile,
} from './pull-source.ts';

/** The model Ponder uses when none is configured. */
export const DEFAULT_MODEL_SOURCE = 'hf:bartowski/DeepSeek-R1-Distill-Qwen-1.5B-GGUF:Q4_K_M';
/** Local name of {@link DEFAULT_MODEL_SOURCE} once pulled (`<dataDir>/models/<name>.gguf`). */
export const DEFAULT_MODEL_NAME = 'DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M';
/**
 * The embedding model Ponder uses when none is configured (issue 13): small (~640 MB), multilingual
 * (100+ languages), 1024-d vectors trained for Matryoshka truncation (`dimensions` 32…1024).
 */
export const DEFAULT_EMBEDDING_MODEL_SOURCE = 'hf:Qwen/Qwen3-Embedding-0.6B-GGUF:Q8_0';
/** Local name of {@link DEFAULT_EMBEDDING_MODEL_SOURCE} once pulled. */
export const DEFAULT_EMBEDDING_MODEL_NAME = 'Qwen3-Embedding-0.6B-Q8_0';

export interface PullProgress {
  /** Bytes on disk so far, including a resumed part. */
  bytes: number;
  /** Final size, when the server announced it. */
  total: number | null;
  /** Recent download speed. */
  bytesPerSecond: number;
  /** Seconds left at the recent speed, when known. */
  etaSeconds: number | null;
}

export interface PullOptions extends HttpOptions {
  /** Absolute models directory (`<dataDir>/models`); created when missing. */
  modelsDir: string;
  onProgress?: (progress: PullProgress) => void;
  /** Limit without any body bytes before the attempt counts as stalled, in ms. Default 60000. */
  idleTimeoutMs?: number;
  /** Resume attempts after an interrupted transfer that made no progress. Default 3. */
  maxRetries?: number;
  /** Base for relative local paths. Default `process.cwd()`. */
  cwd?: string;
}

export interface PullResult {
  name: string;
  path: string;
  sizeBytes: number;
  /** False when the model was already there. */
  fetched: boolean;
}

async function sizeOf(path: string): Promise<number> {
  return (await stat(path).catch(() => undefined))?.size ?? 0;
}

/** Speed over the last few seconds, so the ETA follows the current rate. */
class Meter {
  private samples: Array<[number, number]> = [];
  private lastReport = 0;
  constructor(private readonly onProgress: PullOptions['onProgress']) {}
  report(bytes: number, total: number | null, force = false): void {
    if (!this.onProgress) return;
    const now = performance.now();
    this.samples.push([now, bytes]);
    while (this.samples.length > 2 && now - (this.samples[0] as [number, number])[0] > 5000)
      this.samples.shift();
    if (!force && now - this.lastReport < 100) return;
    this.lastReport = now;
    const [t0, b0] = this.samples[0] as [number, number];
    const bytesPerSecond = now > t0 ? ((bytes - b0) * 1000) / (now - t0) : 0;
    const etaSeconds =
      total !== null && bytesPerSecond > 0 ? Math.max(0, (total - bytes) / bytesPerSecond) : null;
    this.onProgress({ bytes, total, bytesPerSecond, etaSeconds });
  }
}

type Attempt = { total: number | null; complete: boolean };

/** One request from the current end of `partial`. Throws PullError for final failures, other errors to retry. */
async function attemptDownload(
  url: string,
  partial: string,
  meter: Meter,
  options: PullOptions,
): Promise<Attempt> {
  let have = await sizeOf(partial);
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (have > 0) headers.range = `bytes=${have}-`;
  const { response, abort } = await fetchWithTimeout(url, { headers }, options);
  let total: number | null = null;
  const length = response.headers.get('content-length');
  if (response.status === 416) {
    const m = /\*\/(\d+)/.exec(response.headers.get('content-range') ?? '');
    total = m?.[1] ? Number(m[1]) : null;
    if (total !== null && have === total) return { total, complete: true };
    await rm(partial, { force: true });
    throw new PullError(
      'size_mismatch',
      `the server refused to resume at byte ${have}${total === null ? '' : ` of ${total}`}: its size information is inconsistent`,
    );
  }
  if (response.status === 404) throw new PullError('not_found', `${url} was not found (HTTP 404)`);
  if (response.status !== 200 && response.status !== 206) {
    throw new PullError('http', `${new URL(url).host} answered HTTP ${response.status} for ${url}`);
  }
  if (response.status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
    if (!m || Number(m[1]) !== have) {
      await truncate(partial, 0);
      throw new Error('the server resumed at the wrong offset; restarting');
    }
    total = m[3] !== '*' ? Number(m[3]) : length !== null ? have + Number(length) : null;
  } else {
    // 200: the server sent the whole file (it ignored Range, or there was nothing to resume).
    if (have > 0) await truncate(partial, 0);
    have = 0;
    total = length !== null ? Number(length) : null;
  }
  if (response.body === null) throw new Error('empty response body');
  const fh = await open(partial, have > 0 ? 'r+' : 'w');
  const idleMs = options.idleTimeoutMs ?? 60_000;
  let idle = setTimeout(() => abort.abort(new Error('stalled')), idleMs);
  try {
    let position = have;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value: chunk } = await reader.read();
      if (done) break;
      clearTimeout(idle);
      idle = setTimeout(() => abort.abort(new Error('stalled')), idleMs);
      if (total !== null && position + chunk.length > total) {
        await fh.close().catch(() => {});
        await rm(partial, { force: true });
        throw new PullError('size_mismatch', `the server sent more than the ${total} bytes it announced`);
      }
      await fh.write(chunk, 0, chunk.length, position);
      position += chunk.length;
      meter.report(position, total);
    }
    return { total, complete: total === null || position === total };
  } catch (err) {
    if (options.signal?.aborted)
      throw new PullError('aborted', 'download cancelled; run the same pull again to resume');
    throw err;
  } finally {
    clearTimeout(idle);
    // Releases the connection when we stop early (size error); a no-op once the body was read to the end.
    abort.abort();
    await fh.close().catch(() => {});
  }
}

/** Downloads `url` to `partial` with resume; returns when the file is complete and its size checked. */
async function download(url: string, partial: string, options: PullOptions): Promise<void> {
  const meter = new Meter(options.onProgress);
  const maxRetries = options.maxRetries ?? 3;
  let failures = 0;
  for (;;) {
    const before = await sizeOf(partial);
    let outcome: Attempt | undefined;
    let error: unknown;
    try {
      outcome = await attemptDownload(url, partial, meter, options);
    } catch (err) {
      // Offline before the first byte: fail at once; a dropped connection after progress: resume.
      if (err instanceof PullError && (err.code !== 'offline' || before === 0)) throw err;
      error = err;
    }
    const now = await sizeOf(partial);
    if (outcome?.complete) {
      meter.report(now, outcome.total, true);
      return;
    }
    if (outcome && outcome.total !== null && now > outcome.total) {
      await rm(partial, { force: true });
      throw new PullError(
        'size_mismatch',
        `downloaded ${now} bytes but the server announced ${outcome.total}`,
      );
    }
    failures = now > before ? 0 : failures + 1;
    if (failures > maxRetries) {
      const why = error === undefined ? 'the connection closed early' : networkReason(error);
      throw new PullError(
        'interrupted',
        `download interrupted (${why}) at ${now} bytes; run the same pull again to resume. ${ALTERNATIVES}`,
      );
    }
    await new Promise((r) => setTimeout(r, Math.min(2000, 200 * failures)));
    options.signal?.throwIfAborted();
  }
}

async function checkGguf(path: string): Promise<void> {
  try {
    await validateModelFile(path);
  } catch (err) {
    if (!(err instanceof ModelFileError)) throw err;
    throw new PullError(err.code === 'model_not_found' ? 'not_found' : 'not_gguf', err.message);
  }
}

function nameFor(fileName: string): string {
  const name = modelNameOf(fileName);
  if (!fileName.toLowerCase().endsWith(MODEL_EXTENSION) || !isValidModelName(name)) {
    throw new PullError('bad_source', `"${fileName}" is not a .gguf file name`);
  }
  return name;
}

/** Hard-links a local GGUF into the models dir (copies across file systems). */
async function importLocal(path: string, target: string): Promise<void> {
  await checkGguf(path);
  if (resolve(path) === resolve(target)) return;
  const tmp = `${target}.partial`;
  await rm(tmp, { force: true });
  try {
    await link(path, tmp);
  } catch {
    await copyFile(path, tmp);
  }
  await rename(tmp, target);
}

/** A valid model already at `target`, if any. A broken file there is downloaded over. */
async function existingModel(target: string): Promise<Omit<PullResult, 'name'> | undefined> {
  if ((await sizeOf(target)) === 0) return undefined;
  try {
    await validateModelFile(target);
    return { path: target, sizeBytes: await sizeOf(target), fetched: false };
  } catch {
    return undefined;
  }
}

/**
 * Pulls a model into `options.modelsDir` and returns where it is. A model already present under the same name is
 * kept (`fetched: false`). Throws {@link PullError}; offline, the message names the alternatives.
 */
export async function pullModel(source: string, options: PullOptions): Promise<PullResult> {
  const parsed = parsePullSource(source, options.cwd);
  try {
    await ensureDir(options.modelsDir);
  } catch (err) {
    throw new PullError('io', `cannot create ${options.modelsDir}: ${(err as Error).message}`);
  }
  let url: string;
  let fileName: string;
  switch (parsed.kind) {
    case 'path': {
      const name = nameFor(basename(parsed.path));
      const target = join(options.modelsDir, `${name}${MODEL_EXTENSION}`);
      await importLocal(parsed.path, target);
      return { name, path: target, sizeBytes: await sizeOf(target), fetched: true };
    }
    case 'url':
      url = parsed.url.href;
      fileName = decodeURIComponent(basename(parsed.url.pathname));
      break;
    case 'hf':
      try {
        ({ url, fileName } = await resolveHfFile(parsed, options));
      } catch (err) {
        // Offline, a model pulled earlier still counts: `<repo without -GGUF>-<QUANT>.gguf` is the usual name.
        const guess =
          parsed.quant && `${parsed.repo.replace(/-GGUF$/i, '')}-${parsed.quant}${MODEL_EXTENSION}`;
        const present = guess ? await existingModel(join(options.modelsDir, guess)) : undefined;
        if (err instanceof PullError && err.code === 'offline' && guess && present) {
          return { ...present, name: modelNameOf(guess) };
        }
        throw err;
      }
      break;
    default:
      throw new Error(`unreachable: ${parsed satisfies never}`);
  }
  const name = nameFor(fileName);
  const target = join(options.modelsDir, `${name}${MODEL_EXTENSION}`);
  const present = await existingModel(target);
  if (present) return { ...present, name };
  const partial = `${target}.partial`;
  const lock = await acquirePullLock(`${target}.lock`);
  if ('heldBy' in lock) {
    throw new PullError(
      'busy',
      `${name} is already being downloaded by another Ponder process (pid ${lock.heldBy}); wait for it to finish`,
    );
  }
  try {
    await download(url, partial, options);
    try {
      await checkGguf(partial);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
    await rename(partial, target);
  } catch (err) {
    if (err instanceof PullError) throw err;
    if (options.signal?.aborted) {
      throw new PullError('aborted', 'download cancelled; run the same pull again to resume');
    }
    throw new PullError('io', `cannot download ${url}: ${(err as Error).message}`);
  } finally {
    await lock.release();
  }
  return { name, path: target, sizeBytes: await sizeOf(target), fetched: true };
}
