/**
 * The `/v1/chat/completions` parameters Ponder implements, and the ones it does not: those answer 400
 * naming the parameter, unless they carry the value that means "off" (what clients send by default),
 * so a client never believes it got logprobs or penalties it did not get.
 */
import { invalidParam as invalid } from './errors.ts';

/** Request fields Ponder implements (the schema in `api/openai.ts`), plus harmless metadata. */
const IMPLEMENTED = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'top_k',
  'stop',
  'seed',
  'n',
  'reasoning_effort',
  'reasoning',
  'thinking',
  // The thinking and continuation controls of vLLM, SGLang and llama-server, which Ponder's own
  // upstream client sends (so one Ponder can serve another) and their clients use.
  'reasoning_budget_tokens',
  'thinking_token_budget',
  'chat_template_kwargs',
  'continue_final_message',
  'add_generation_prompt',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'web_search_options',
  // Identifies the end user for abuse monitoring; it changes no output.
  'user',
]);

export const isEmpty = (v: unknown): boolean =>
  v === null ||
  v === undefined ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);

/** OpenAI parameters Ponder does not implement yet, with the values that mean "off". */
const UNSUPPORTED: Record<
  string,
  { off: (v: unknown, body: Record<string, unknown>) => boolean; what: string }
> = {
  functions: { off: isEmpty, what: 'The deprecated functions parameter is not supported: use tools' },
  function_call: {
    off: (v) => isEmpty(v) || v === 'none',
    what: 'The deprecated function_call parameter is not supported: use tool_choice',
  },
  logprobs: { off: (v) => isEmpty(v) || v === false, what: 'Log probabilities are not supported' },
  top_logprobs: { off: (v) => isEmpty(v) || v === 0, what: 'Log probabilities are not supported' },
  logit_bias: { off: isEmpty, what: 'logit_bias is not supported' },
  frequency_penalty: { off: (v) => isEmpty(v) || v === 0, what: 'frequency_penalty is not supported' },
  presence_penalty: { off: (v) => isEmpty(v) || v === 0, what: 'presence_penalty is not supported' },
  modalities: {
    off: (v) => isEmpty(v) || (Array.isArray(v) && v.every((m) => m === 'text')),
    what: 'Only text output is supported',
  },
  audio: { off: isEmpty, what: 'Audio output is not supported' },
  prediction: { off: isEmpty, what: 'Predicted outputs are not supported' },
  store: { off: (v) => isEmpty(v) || v === false, what: 'Stored completions are not supported' },
  metadata: { off: isEmpty, what: 'metadata is only used with stored completions, which are not supported' },
  service_tier: {
    off: (v) => isEmpty(v) || v === 'auto' || v === 'default',
    what: 'Service tiers are not supported',
  },
};

/** 400 for a parameter Ponder would otherwise ignore: unknown, or known but not implemented. */
export function rejectIgnoredParameters(body: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(body)) {
    if (IMPLEMENTED.has(key)) continue;
    const unsupported = UNSUPPORTED[key];
    if (!unsupported) throw invalid(`Unrecognized request argument supplied: ${key}.`, key);
    if (!unsupported.off(value, body)) throw invalid(`${unsupported.what} ('${key}').`, key);
  }
}
