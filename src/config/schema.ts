import { z } from 'zod';

/** One OpenAI-compatible inference upstream (vLLM, SGLang, Ollama, llama-server, DeepSeek API, another Ponder). */
export const upstreamSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, 'letters, digits, "-" and "_" only'),
  baseUrl: z.url({ protocol: /^https?$/ }),
  apiKey: z.string().min(1).optional(),
  /** Models served; discovered from `GET /models` when omitted. */
  models: z.array(z.string().min(1)).optional(),
  reasoningFormat: z.enum(['auto', 'reasoning_content', 'reasoning', 'think-tags']).default('auto'),
  maxConcurrent: z.int().positive().optional(),
});

export const planSchema = z.strictObject({
  reasoningMessagesPerDay: z.int().nonnegative(),
  tokensPerDay: z.int().nonnegative(),
  maxConcurrency: z.int().positive(),
  /** Weight in fair queueing: a plan with priority 4 gets four times the share of priority 1. */
  priority: z.int().positive(),
  maxThinkingBudget: z.int().positive(),
});

export const DEFAULT_PLANS = {
  free: {
    reasoningMessagesPerDay: 50,
    tokensPerDay: 200_000,
    maxConcurrency: 1,
    priority: 1,
    maxThinkingBudget: 4096,
  },
  plus: {
    reasoningMessagesPerDay: 500,
    tokensPerDay: 2_000_000,
    maxConcurrency: 2,
    priority: 2,
    maxThinkingBudget: 16384,
  },
  pro: {
    reasoningMessagesPerDay: 5000,
    tokensPerDay: 20_000_000,
    maxConcurrency: 4,
    priority: 4,
    maxThinkingBudget: 32768,
  },
} satisfies Record<string, z.infer<typeof planSchema>>;

export const engineSchema = z.strictObject({
  /** Parallel sequences (slots) per loaded model, decoded in one batch. */
  slots: z.int().min(1).max(64).default(4),
  /** CPU threads for llama.cpp. Default: the number of cores (more is much slower on small machines). */
  threads: z.int().positive().optional(),
  /** Context tokens per slot. */
  contextSize: z.int().min(256).max(131072).default(8192),
  /** Tokens evaluated per decode call during prefill. */
  batchSize: z.int().min(16).max(8192).default(512),
  gpu: z.enum(['auto', 'off']).default('off'),
});

export const configSchema = z.strictObject({
  dataDir: z.string().min(1).default('./data'),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.int().min(0).max(65535).default(3000),
  /** Default model: a path to a `.gguf`, a name under `<dataDir>/models`, or an upstream model id. */
  model: z.string().min(1).optional(),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  /** 32 bytes as 64 hex chars or base64; otherwise a key file is created in the data dir. */
  masterKey: z.string().min(1).optional(),
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  signupMode: z.enum(['open', 'invite', 'closed']).default('open'),
  /** Set when Ponder is served over HTTPS (directly or behind a proxy): session cookies get `Secure`. */
  secureCookies: z.boolean().default(false),
  engine: engineSchema.default(engineSchema.parse({})),
  upstreams: z.array(upstreamSchema).default([]),
  plans: z.record(z.string(), planSchema).default(DEFAULT_PLANS),
  defaultPlan: z.string().default('free'),
});

export type PonderConfig = z.infer<typeof configSchema>;
export type UpstreamConfig = z.infer<typeof upstreamSchema>;
export type PlanConfig = z.infer<typeof planSchema>;
export type EngineConfig = z.infer<typeof engineSchema>;
