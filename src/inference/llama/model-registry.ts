/**
 * Loaded models inside the engine child: id → path, lazy loading with clear errors for files that cannot
 * work (missing, not GGUF, truncated, too big for free memory), and per model one context whose sequences
 * are the slots.
 */
import { stat } from 'node:fs/promises';
import os from 'node:os';
import {
  GgufInsights,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  readGgufFileInfo,
} from 'node-llama-cpp';
import { type EffortBudgets, modelFileBudgets } from '../thinking-budgets.ts';
import { InferenceError, type ModelInfo } from '../types.ts';
import type { BatchStats } from './batch-stats.ts';
import { fileProblem } from './file-check.ts';
import type { EngineConfig } from './ipc-protocol.ts';
import { gateSequenceDecodes, Lockstep, LockstepMember } from './lockstep.ts';
import { loadModelFile } from './model-load.ts';
import { type SchedulableSlot, SlotScheduler } from './slot-scheduler.ts';

export interface Slot extends SchedulableSlot {
  readonly sequence: LlamaContextSequence;
  readonly member: LockstepMember;
}

export interface LoadedModel {
  readonly id: string;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  /** Tokens per slot. */
  readonly contextSize: number;
  readonly scheduler: SlotScheduler<Slot>;
  readonly lockstep: Lockstep;
  /** What each named effort means for this model (`thinking-budgets.ts`). */
  readonly thinkingBudgets: EffortBudgets;
}

type Entry =
  | { state: 'idle'; path: string; lastError?: string }
  | { state: 'loading'; path: string; promise: Promise<LoadedModel> }
  | { state: 'ready'; path: string; loaded: LoadedModel };

const MiB = 1024 * 1024;

export class ModelRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly llama: Llama,
    private readonly config: EngineConfig,
    private readonly stats: BatchStats,
  ) {}

  add(id: string, path: string): void {
    const existing = this.entries.get(id);
    if (existing && existing.path === path) return;
    if (existing && existing.state !== 'idle') void this.unload(id);
    this.entries.set(id, { state: 'idle', path });
  }

  /** The GGUF path registered for `id` (embedding models are served beside this registry). */
  pathOf(id: string): string | undefined {
    return this.entries.get(id)?.path;
  }

  loadedIds(): string[] {
    return [...this.entries].filter(([, e]) => e.state === 'ready').map(([id]) => id);
  }

  all(): LoadedModel[] {
    return [...this.entries.values()].flatMap((e) => (e.state === 'ready' ? [e.loaded] : []));
  }

  async list(): Promise<ModelInfo[]> {
    const out: ModelInfo[] = [];
    for (const [id, e] of this.entries) {
      const info: ModelInfo = {
        id,
        provider: 'embedded',
        state: 'ready',
        contextSize: this.config.contextSize,
        thinkingBudgets: await this.thinkingBudgets(id, e.path),
        canEndThinking: true,
        supportsTools: true,
        supportsResponseFormat: true,
      };
      if (e.state === 'loading') info.state = 'loading';
      else if (e.state === 'idle') {
        const problem = e.lastError ?? (await fileProblem(id, e.path))?.message;
        if (problem) Object.assign(info, { state: 'unavailable', detail: problem });
        else info.detail = 'not loaded yet: loads on first request';
      }
      out.push(info);
    }
    return out;
  }

  /** The loaded model, loading it first if needed. Throws `InferenceError`. */
  get(id: string): Promise<LoadedModel> {
    const e = this.entries.get(id);
    if (!e) throw new InferenceError('model_not_found', `Unknown model "${id}"`);
    if (e.state === 'ready') return Promise.resolve(e.loaded);
    if (e.state === 'loading') return e.promise;
    const promise = this.load(id, e.path).then(
      (loaded) => {
        this.entries.set(id, { state: 'ready', path: e.path, loaded });
        return loaded;
      },
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        this.entries.set(id, { state: 'idle', path: e.path, lastError: message });
        throw err;
      },
    );
    this.entries.set(id, { state: 'loading', path: e.path, promise });
    return promise;
  }

  async unload(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e || e.state === 'idle') return;
    const loaded = e.state === 'ready' ? e.loaded : await e.promise.catch(() => undefined);
    this.entries.set(id, { state: 'idle', path: e.path });
    if (loaded) await disposeLoaded(loaded);
  }

  thinkingBudgets(id: string, path: string): Promise<EffortBudgets> {
    return modelFileBudgets(id, path, this.config.thinkingBudgets);
  }

  async dispose(): Promise<void> {
    for (const id of [...this.entries.keys()]) await this.unload(id);
  }

  private async load(id: string, path: string): Promise<LoadedModel> {
    const problem = await fileProblem(id, path);
    if (problem) throw problem;
    const { slots, contextSize, batchSize } = this.config;
    let info: Awaited<ReturnType<typeof readGgufFileInfo>>;
    try {
      info = await readGgufFileInfo(path, { logWarnings: false, spliceSplitFiles: false });
    } catch (err) {
      throw new InferenceError(
        'model_not_ready',
        `Model "${id}" at ${path} is corrupt or truncated (GGUF header unreadable)`,
        {
          cause: err,
        },
      );
    }
    const fileSize = (await stat(path)).size;
    const insights = await GgufInsights.from(info, this.llama).catch(() => undefined);
    const dataStart = Math.min(...(info.tensorInfo ?? []).map((t) => Number(t.fileOffset)));
    // Tensor data is at least the sum of tensor sizes (plus alignment); a shorter file is cut off.
    if (insights && Number.isFinite(dataStart) && fileSize < dataStart + insights.modelSize) {
      throw new InferenceError(
        'model_not_ready',
        `Model "${id}" at ${path} is truncated: ${fileSize} bytes, but its tensors need at least ${dataStart + insights.modelSize}; download it again`,
      );
    }
    const needed = fileSize + (insights ? await this.contextBytes(insights) : 0);
    const free = this.config.freeMemoryLimitBytes ?? os.freemem();
    if (needed > free) {
      throw new InferenceError(
        'model_not_ready',
        `Model "${id}" needs about ${Math.ceil(needed / MiB)} MiB of memory with ${slots} slots × ${contextSize} tokens, but only ${Math.floor(free / MiB)} MiB is free; use a smaller model or quantisation, fewer slots or a smaller context`,
      );
    }
    const model = await loadModelFile(
      this.llama,
      path,
      this.config.gpu,
      (err) =>
        new InferenceError(
          'model_not_ready',
          `Model "${id}" at ${path} could not be loaded (truncated or unsupported file?): ${errText(err)}`,
          { cause: err },
        ),
    );
    try {
      const context = await model.createContext({
        sequences: slots,
        contextSize,
        batchSize,
        threads: this.config.threads,
        batching: { dispatchSchedule: 'nextCycle', itemPrioritizationStrategy: this.stats.strategy },
      });
      const lockstep = new Lockstep(this.config.lockstepFallbackMs);
      const slotList: Slot[] = [];
      for (let index = 0; index < slots; index++) {
        const sequence = context.getSequence();
        const member = new LockstepMember();
        gateSequenceDecodes(
          sequence,
          () => lockstep.arrive(member),
          (running) => lockstep.setDecoding(member, running),
        );
        slotList.push({
          index,
          sequence,
          member,
          busy: false,
          affinityKey: undefined,
          lastUsed: 0,
          kvTokens: () => sequence.contextTokens,
        });
      }
      return {
        id,
        model,
        context,
        contextSize: context.contextSize,
        scheduler: new SlotScheduler(slotList),
        lockstep,
        thinkingBudgets: await this.thinkingBudgets(id, path),
      };
    } catch (err) {
      await model.dispose();
      throw new InferenceError(
        'model_not_ready',
        `Model "${id}" loaded but its context could not be created: ${errText(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  private async contextBytes(insights: GgufInsights): Promise<number> {
    try {
      const ctx = await insights.estimateContextResourceRequirementsV2({
        contextSize: this.config.contextSize,
        sequences: this.config.slots,
        batchSize: this.config.batchSize,
        modelGpuLayers: 0,
      });
      return ctx.cpuRam;
    } catch {
      return 0;
    }
  }
}

async function disposeLoaded(loaded: LoadedModel): Promise<void> {
  const err = new InferenceError('model_not_ready', `Model "${loaded.id}" was unloaded`);
  loaded.scheduler.rejectAll(err);
  loaded.lockstep.dispose();
  await loaded.context.dispose();
  await loaded.model.dispose();
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
