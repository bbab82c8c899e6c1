/**
 * Models on disk for administrators: list GGUF files with their serving state, pull new ones in the
 * background with progress, remove them. Pulled models are registered with the embedded engine at
 * once, so they can be chosen without a restart.
 */
import { randomUUID } from 'node:crypto';
import { listModels, removeModel } from '../../inference/llama/model-files.ts';
import { type PullProgress, parsePullSource, pullModel } from '../../inference/llama/pull.ts';
import { AllowList } from '../../inference/net/address-policy.ts';
import {
  checkTarget,
  createGuardedFetch,
  type FetchLogger,
  FetchRefused,
} from '../../inference/net/guarded-fetch.ts';
import type { ModelInfo } from '../../inference/types.ts';

/** What the admin layer needs of the embedded engine (a subset of `EmbeddedProvider`). */
export interface ModelRegistryTarget {
  addModel(id: string, path: string): void;
  unload?(id: string): Promise<void>;
}

export interface AdminModel extends ModelInfo {
  sizeBytes?: number;
  path?: string;
  quant?: string | null;
  /** Set while a pull of this model runs or after it failed. */
  pullId?: string;
  /** What the admin typed to pull it (pull entries only), so a failed pull shows under it. */
  source?: string;
}

interface PullState {
  id: string;
  source: string;
  name: string;
  progress: PullProgress | null;
  error?: string;
  controller: AbortController;
  done: boolean;
}

/** `not_removable`: served, but not from the models folder (`--model`, config, an upstream). */
export type ModelAdminErrorCode = 'invalid_source' | 'not_found' | 'busy' | 'not_removable';

export class ModelAdminError extends Error {
  override readonly name = 'ModelAdminError';
  constructor(
    readonly code: ModelAdminErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ModelAdminOptions {
  modelsDir: string;
  /** The embedded engine, when this instance runs one. */
  engine?: ModelRegistryTarget;
  /** Models as the providers currently report them (states). */
  served: () => Promise<ModelInfo[]>;
  /** Called after the set of models changed (e.g. to drop cached listings). */
  onChange?: () => void;
  /** `fetch.allowPrivateHosts`: internal hosts (a model mirror) pulls may reach. Default none. */
  allowPrivateHosts?: readonly string[];
  /** Where refused and failed fetches are logged with their detail. */
  logger?: FetchLogger;
  /** Hugging Face base URL (tests). Default `https://huggingface.co`. */
  hfBaseUrl?: string;
}

export class ModelAdmin {
  readonly #o: ModelAdminOptions;
  readonly #pulls = new Map<string, PullState>();
  readonly #allow: AllowList;
  readonly #fetch: ReturnType<typeof createGuardedFetch>;

  constructor(options: ModelAdminOptions) {
    this.#o = options;
    this.#allow = new AllowList(options.allowPrivateHosts);
    // Admin pulls run on the server, so every request (and each redirect) goes through the SSRF guard.
    this.#fetch = createGuardedFetch({
      ...(options.allowPrivateHosts ? { allowPrivateHosts: options.allowPrivateHosts } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  async list(): Promise<AdminModel[]> {
    const [files, served] = await Promise.all([listModels(this.#o.modelsDir), this.#o.served()]);
    const out = new Map<string, AdminModel>();
    for (const m of served) out.set(m.id, { ...m });
    for (const f of files) {
      const seen = out.get(f.name);
      const state = seen?.state ?? (f.problem ? 'unavailable' : 'ready');
      const entry: AdminModel = {
        id: f.name,
        provider: seen?.provider ?? 'embedded',
        state,
        sizeBytes: f.sizeBytes,
        path: f.path,
        quant: f.quant,
      };
      if (f.problem) entry.detail = f.problem;
      out.set(f.name, { ...seen, ...entry });
    }
    for (const pull of this.#pulls.values()) {
      if (pull.done && !pull.error) continue;
      const entry: AdminModel = {
        id: pull.name,
        provider: 'embedded',
        state: pull.error ? 'unavailable' : 'downloading',
        pullId: pull.id,
        source: pull.source,
      };
      const p = pull.progress;
      if (p?.total) entry.downloadProgress = p.bytes / p.total;
      if (pull.error) entry.detail = pull.error;
      // A failed pull never hides a model that is there under the same name.
      out.set(pull.error && out.has(pull.name) ? `pull:${pull.id}` : pull.name, entry);
    }
    return [...out.values()];
  }

  /**
   * Starts a download (Hugging Face `hf:user/repo:QUANT` or an https URL) and returns its id once the
   * target passed the address check (a refused host fails here, synchronously for the caller).
   */
  async pull(source: string): Promise<{ pullId: string; name: string }> {
    let parsed: ReturnType<typeof parsePullSource>;
    try {
      parsed = parsePullSource(source);
    } catch (err) {
      throw new ModelAdminError('invalid_source', (err as Error).message);
    }
    // Admins may fetch from the internet; copying arbitrary server files is not what this page is for.
    if (parsed.kind === 'path') {
      throw new ModelAdminError('invalid_source', 'Pull from hf:user/repo:QUANT or an https:// URL.');
    }
    if (parsed.kind === 'url') {
      try {
        await checkTarget(parsed.url, this.#allow);
      } catch (err) {
        // A name that does not resolve fails in the background like any network error; refusal is final.
        if (err instanceof FetchRefused) {
          this.#o.logger?.warn({ host: parsed.url.host, detail: err.detail }, 'model pull refused');
          throw new ModelAdminError('invalid_source', err.message);
        }
      }
    }
    const name = guessName(source);
    for (const p of this.#pulls.values()) {
      if (!p.done && p.source === source)
        throw new ModelAdminError('busy', 'This model is already being pulled.');
    }
    const state: PullState = {
      id: randomUUID(),
      source,
      name,
      progress: null,
      controller: new AbortController(),
      done: false,
    };
    this.#pulls.set(state.id, state);
    void pullModel(source, {
      modelsDir: this.#o.modelsDir,
      signal: state.controller.signal,
      fetchImpl: this.#fetch,
      ...(this.#o.hfBaseUrl ? { hfBaseUrl: this.#o.hfBaseUrl } : {}),
      onProgress: (p) => {
        state.progress = p;
      },
    }).then(
      (result) => {
        state.done = true;
        state.name = result.name;
        this.#o.engine?.addModel(result.name, result.path);
        this.#o.onChange?.();
      },
      (err: unknown) => {
        state.done = true;
        state.error = (err as Error).message;
      },
    );
    return { pullId: state.id, name };
  }

  /**
   * Removes a model file from the models folder. Checks first and changes nothing on failure: a model
   * served from elsewhere (`--model`, config, an upstream) is `not_removable`, an unknown one `not_found`.
   * The file goes before the engine unloads it, so a failed delete leaves the model serving.
   */
  async remove(name: string): Promise<void> {
    const file = (await listModels(this.#o.modelsDir)).find((f) => f.name === name);
    if (!file) {
      const served = (await this.#o.served()).find((m) => m.id === name);
      if (served?.provider === 'embedded') {
        throw new ModelAdminError(
          'not_removable',
          `"${name}" is not in the models folder (${this.#o.modelsDir}): it was given with --model or in the configuration. Remove it there and restart Ponder.`,
        );
      }
      if (served) {
        throw new ModelAdminError(
          'not_removable',
          `"${name}" is served by the upstream "${served.provider}". Remove it from that upstream's configuration.`,
        );
      }
      throw new ModelAdminError('not_found', `No model named "${name}".`);
    }
    for (const p of this.#pulls.values()) {
      if (p.name === name) {
        p.controller.abort();
        this.#pulls.delete(p.id);
      }
    }
    try {
      await removeModel(name, this.#o.modelsDir);
    } catch (err) {
      throw new ModelAdminError('not_found', (err as Error).message);
    }
    await this.#o.engine?.unload?.(name).catch(() => {});
    this.#o.onChange?.();
  }

  /** Cancels a running pull or dismisses a failed one from the listing. */
  dismissPull(pullId: string): void {
    const pull = this.#pulls.get(pullId);
    if (!pull) throw new ModelAdminError('not_found', 'No such download.');
    pull.controller.abort();
    this.#pulls.delete(pullId);
  }

  /** Cancels running downloads (shutdown). */
  close(): void {
    for (const p of this.#pulls.values()) p.controller.abort();
  }
}

/**
 * The name a pull will most likely get, for the listing until the download resolves the real file:
 * `hf:user/Repo-GGUF:Q4_K_M` → `Repo-Q4_K_M` (the usual file name), a URL → its file name.
 */
export function guessName(source: string): string {
  const hf = /^hf:[^/]+\/([^:/]+)(?::([\w.-]+))?$/i.exec(source.trim());
  if (hf) {
    const repo = hf[1]!.replace(/-GGUF$/i, '');
    return hf[2] ? `${repo}-${hf[2]}` : repo;
  }
  const last = source.split(/[/:]/).filter(Boolean).at(-1) ?? source;
  return last.replace(/\.gguf$/i, '');
}
