/**
 * What a person can do when `ponder serve` has no model: the exact commands, with this server's real
 * models folder and data directory, so they can be copied as they are.
 */
import { resolve } from 'node:path';

export interface MissingModelHelp {
  /** Why there is no model, e.g. `cannot reach huggingface.co (ENOTFOUND)`. */
  reason: string;
  /** Absolute `<dataDir>/models`. */
  modelsDir: string;
  /** The configured data directory (relative to `cwd` when not absolute). */
  dataDir: string;
  /** Where the default model comes from (`hf:user/repo:QUANT`). */
  source: string;
  cwd?: string;
}

/** Multi-line text: what failed, then the ways on (download when online, a local GGUF, an upstream). */
export function missingModelHint(help: MissingModelHelp): string {
  const cwd = help.cwd ?? process.cwd();
  // Commands run from the same directory find the same data only if they name a non-default one.
  const dataFlag =
    resolve(cwd, help.dataDir) === resolve(cwd, 'data') ? '' : ` --data-dir ${shellWord(help.dataDir)}`;
  const upstream = `PONDER_UPSTREAMS='[{"id":"local","baseUrl":"http://127.0.0.1:11434/v1"}]'`;
  return [
    `No model: ${help.reason}`,
    'Ponder keeps running, but chat answers "model not ready" until it has one. Ways on:',
    `  1. When online, download it, then start again:  ponder pull ${help.source}${dataFlag}`,
    `                                                  ponder serve${dataFlag}`,
    `  2. Use a GGUF file you already have:            ponder serve${dataFlag} --model /path/to/model.gguf`,
    `     (or copy it into ${help.modelsDir}/ and start with --model <its name without .gguf>)`,
    '  3. Use an OpenAI-compatible server (Ollama, vLLM, llama-server, DeepSeek), e.g.:',
    `     ${upstream} ponder serve${dataFlag}`,
  ].join('\n');
}

function shellWord(text: string): string {
  return /^[\w./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
