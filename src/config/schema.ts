import { z } from 'zod';
import { documentsSchema, planDocumentsSchema } from './documents-schema.ts';
import { oidcSchema } from './oidc-schema.ts';

/** One OpenAI-compatible inference upstream (vLLM, SGLang, Ollama, llama-server, DeepSeek API, another Ponder). */
export const upstreamSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, 'letters, digits, "-" and "_" only'),
  baseUrl: z.url({ protocol: /^https?$/ }),
  apiKey: z.string().min(1).optional(),
  /** Models served; discovered from `GET /models` when omitted. */
  models: z.array(z.string().min(1)).optional(),
  reasoningFormat: z.enum(['auto', 'reasoning_content', 'reasoning', 'think-tags']).default('auto'),
  maxConcurrent: z.int().positive().optional(),
  /**
   * History policy for this upstream's models: send earlier turns' reasoning back (for models trained
   * with it). Default false: only turns that called tools keep theirs.
   */
  keepReasoning: z.boolean().optional(),
  /**
   * Embeddings (issue 13): models this upstream serves on `POST /embeddings`, by id, or with their vector
   * length and whether `dimensions` may shorten them (Matryoshka). Another Ponder marks its own.
   */
  embeddingModels: z
    .array(
      z.union([
        z.string().min(1),
        z.strictObject({
          id: z.string().min(1),
          dimensions: z.int().positive().optional(),
          matryoshka: z.boolean().optional(),
        }),
      ]),
    )
    .optional(),
});

/** The embedded engine's embedding model (issue 13: documents retrieval and `/v1/embeddings`). */
export const embeddingSchema = z.strictObject({
  /**
   * A `.gguf` path, a name under `<dataDir>/models`, an upstream's embedding model id, or `"off"`.
   * Default: Qwen3-Embedding-0.6B (Q8_0), downloaded on first start like the default chat model.
   */
  model: z.string().min(1).optional(),
  /**
   * Whether `dimensions` may shorten this model's vectors (Matryoshka-trained). Default: true for the
   * default model, false for any other.
   */
  matryoshka: z.boolean().optional(),
  /** Download the default embedding model when it is missing (and `ponder serve` may pull). Default true. */
  autoPull: z.boolean().default(true),
});

export const planSchema = z.strictObject({
  reasoningMessagesPerDay: z.int().nonnegative(),
  tokensPerDay: z.int().nonnegative(),
  maxConcurrency: z.int().positive(),
  /** Weight in fair queueing: a plan with priority 4 gets four times the share of priority 1. */
  priority: z.int().positive(),
  maxThinkingBudget: z.int().positive(),
  /** Calls of Ponder's tools (other than web search) per UTC day. Default 200. */
  toolCallsPerDay: z.int().nonnegative().optional(),
  /** Web searches (`web_search` calls) per UTC day. Default 50. */
  searchesPerDay: z.int().nonnegative().optional(),
  /** Upload limits for documents (issue 13); see documents-schema.ts for the defaults. */
  documents: planDocumentsSchema.optional(),
});

export const DEFAULT_PLANS = {
  free: {
    reasoningMessagesPerDay: 50,
    tokensPerDay: 200_000,
    maxConcurrency: 1,
    priority: 1,
    maxThinkingBudget: 4096,
    toolCallsPerDay: 200,
    searchesPerDay: 50,
  },
  plus: {
    reasoningMessagesPerDay: 500,
    tokensPerDay: 2_000_000,
    maxConcurrency: 2,
    priority: 2,
    maxThinkingBudget: 16384,
    toolCallsPerDay: 2000,
    searchesPerDay: 500,
  },
  pro: {
    reasoningMessagesPerDay: 5000,
    tokensPerDay: 20_000_000,
    maxConcurrency: 4,
    priority: 4,
    maxThinkingBudget: 32768,
    toolCallsPerDay: 20_000,
    searchesPerDay: 5000,
  },
  // `ponder eval` (issue 15): the plan eval turns are admitted under. Lowest priority, and a concurrency
  // below the engine's default 4 slots, so an eval never takes every slot from users.
  eval: {
    reasoningMessagesPerDay: 1_000_000,
    tokensPerDay: 1_000_000_000,
    maxConcurrency: 2,
    priority: 1,
    maxThinkingBudget: 32768,
    toolCallsPerDay: 0,
    searchesPerDay: 0,
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
  /**
   * Effort → thinking-budget rules tried in order before the built-in table (by model size, see
   * `src/inference/thinking-budgets.ts`): the first whose `match` (substring of the model id) and
   * `maxParamsB` (billions of parameters) hold gives the low / medium / high budgets in tokens.
   */
  thinkingBudgets: z
    .array(
      z.strictObject({
        match: z.string().min(1).max(200).optional(),
        maxParamsB: z.number().positive().optional(),
        low: z.int().min(1).max(1_000_000),
        medium: z.int().min(1).max(1_000_000),
        high: z.int().min(1).max(1_000_000),
      }),
    )
    .max(100)
    .default([]),
});

export const admissionSchema = z.strictObject({
  /** Requests waiting for a generation slot, all users together; beyond it 503 `queue_full`. */
  maxQueued: z.int().min(0).max(100_000).default(256),
  /** Requests one user may have waiting; beyond it 429. 0 refuses instead of queueing at the plan's cap. */
  maxQueuedPerUser: z.int().min(0).max(1000).default(4),
  /** Longest wait in the queue before 503 `queue_timeout`, in ms. */
  maxWaitMs: z.int().min(100).max(3_600_000).default(120_000),
  /**
   * While other users were active this recently (ms), one user holds at most their priority-weighted
   * share of the slots (at least 1), whatever the plan's maxConcurrency; 0 turns the cap off.
   */
  fairShareWindowMs: z.int().min(0).max(3_600_000).default(30_000),
});

export const signupPowSchema = z.strictObject({
  /** Sign-ups per minute (all clients together) that switch the proof-of-work gate on. */
  onRate: z.int().positive().default(20),
  /** Below this many sign-ups per minute the gate switches off again. Default: half of `onRate`. */
  offRate: z.int().nonnegative().optional(),
  /** Leading zero bits of SHA-256 a solution needs (16 ≈ 65k hashes: ~0.2 s for a person, 65k hashes per bot sign-up). */
  difficultyBits: z.int().min(1).max(32).default(16),
});

export const fetchSchema = z.strictObject({
  /**
   * Internal hosts the guarded fetcher may reach although they are private (an internal model mirror):
   * hostnames (matched exactly) or IP addresses / CIDR ranges (`10.0.0.0/8`, `fd00::/8`). Default none.
   */
  allowPrivateHosts: z.array(z.string().trim().min(1)).default([]),
});

/** Header names an MCP server entry may not set: the transport's own and the connection's. */
const RESERVED_MCP_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'accept',
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
]);

/**
 * One MCP server whose tools join Ponder's registry: Streamable HTTP at `url` (with `headers`, e.g. an
 * `Authorization` secret sent only to that URL's origin and never logged), or a local process started
 * with `command`/`args`/`env` speaking stdio (only when `mcp.allowLocalProcesses` is true).
 */
export const mcpServerSchema = z
  .strictObject({
    /** Tools appear to the model as `mcp_<id>_<tool>`. */
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'letters, digits, "-" and "_" only (at most 32)'),
    url: z
      .url({ protocol: /^https?$/ })
      .refine(
        (u) => !new URL(u).username && !new URL(u).password,
        'put credentials in "headers", not the URL',
      )
      .optional(),
    headers: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a header name')
          .refine((h) => !RESERVED_MCP_HEADERS.has(h.toLowerCase()), 'this header is set by Ponder'),
        z.string().regex(/^[^\r\n\0]*$/, 'header values cannot hold line breaks'),
      )
      .optional(),
    command: z.string().min(1).optional(),
    args: z.array(z.string()).max(100).optional(),
    /** Added to a minimal environment (PATH, HOME…); Ponder's own variables are never passed on. */
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not a variable name'), z.string()).optional(),
    /** Longest one request to this server may take (connecting, listing, a tool call), in ms. */
    timeoutMs: z.int().min(100).max(600_000).default(30_000),
    enabled: z.boolean().default(true),
  })
  .superRefine((server, ctx) => {
    if ((server.url === undefined) === (server.command === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either "url" (Streamable HTTP) or "command" (stdio)' });
    }
    if (server.url === undefined && server.headers !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['headers'], message: '"headers" go with "url"' });
    }
    if (server.command === undefined && (server.args !== undefined || server.env !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['args'], message: '"args" and "env" go with "command"' });
    }
  });

export const mcpSchema = z
  .strictObject({
    servers: z.array(mcpServerSchema).max(50).default([]),
    /** Lets `command` servers start local processes (stdio) with Ponder's user rights. Default false. */
    allowLocalProcesses: z.boolean().default(false),
  })
  .superRefine((mcp, ctx) => {
    const seen = new Set<string>();
    mcp.servers.forEach((server, i) => {
      if (seen.has(server.id.toLowerCase())) {
        ctx.addIssue({ code: 'custom', path: ['servers', i, 'id'], message: `"${server.id}" is used twice` });
      }
      seen.add(server.id.toLowerCase());
      if (server.command !== undefined && !mcp.allowLocalProcesses) {
        ctx.addIssue({
          code: 'custom',
          path: ['servers', i, 'command'],
          message:
            'a stdio MCP server starts a local process; set mcp.allowLocalProcesses to true to allow it',
        });
      }
    });
  });

/**
 * The web search provider an administrator runs or subscribes to. `apiKey` is a secret: it is sent only
 * to `baseUrl`'s origin (never across a redirect) and never logged.
 */
export const searchSchema = z
  .strictObject({
    provider: z.enum(['searxng', 'brave', 'tavily']),
    /** SearXNG: required (`https://search.lan`). Brave and Tavily: their public API by default. */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Brave's subscription token or Tavily's key (required for them); a bearer token for a SearXNG proxy. */
    apiKey: z.string().min(1).optional(),
    /** Results read per search (each page fetched and extracted). */
    maxResults: z.int().min(1).max(10).default(5),
    /** Longest a search request may take, in ms. */
    timeoutMs: z.int().min(100).max(120_000).default(10_000),
  })
  .superRefine((value, ctx) => {
    if (value.provider === 'searxng' && !value.baseUrl) {
      ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: 'SearXNG needs its baseUrl' });
    }
    if (value.provider !== 'searxng' && !value.apiKey) {
      ctx.addIssue({ code: 'custom', path: ['apiKey'], message: `${value.provider} needs an apiKey` });
    }
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
  /** Prefix of every Redis key (several deployments can share one Redis). */
  redisKeyPrefix: z
    .string()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'letters, digits and ":_.-" only')
    .default('ponder:'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `auto`: human lines when stdout is a terminal, JSON lines otherwise (log shippers); `json`/`human` force one. */
  logFormat: z.enum(['auto', 'json', 'human']).default('auto'),
  signupMode: z.enum(['open', 'invite', 'closed']).default('open'),
  /** Set when Ponder is served over HTTPS (directly or behind a proxy): session cookies get `Secure`. */
  secureCookies: z.boolean().default(false),
  /**
   * Which peers may set `X-Forwarded-For` / `-Proto` / `-Host` (Fastify's `trustProxy`): `false` (default:
   * the socket's peer is the client), a hop count (`1` = one proxy in front), or CIDRs / addresses as
   * an array or a comma-separated string (`"10.0.0.0/8,127.0.0.1"`). Per-IP limits, logs and PoW use it.
   */
  trustProxy: z
    .union([
      z.literal(false),
      z.int().min(1).max(16),
      z.string().trim().min(1),
      z.array(z.string().trim().min(1)).min(1),
    ])
    .default(false),
  /** The URL users reach Ponder at (`https://chat.example.com`); its host is allowed in `Host`. */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * Host names accepted in the `Host` header besides `publicUrl`'s (others get 421, a DNS-rebinding
   * defence). `"*"` accepts any. Default: localhost names on a loopback bind, any host otherwise.
   */
  allowedHosts: z.array(z.string().trim().min(1).toLowerCase()).optional(),
  engine: engineSchema.default(engineSchema.parse({})),
  upstreams: z.array(upstreamSchema).default([]),
  /** The embedding model (issue 13). */
  embedding: embeddingSchema.default(embeddingSchema.parse({})),
  plans: z.record(z.string(), planSchema).default(DEFAULT_PLANS),
  defaultPlan: z.string().default('free'),
  /**
   * Lets Prometheus scrape `GET /metrics` from other hosts with `Authorization: Bearer <token>`
   * (without it `/metrics` answers only on loopback). At least 16 characters.
   */
  metricsToken: z.string().min(16, 'use at least 16 characters').optional(),
  /** Admission queue bounds (capacity itself is the engine's slots plus the upstreams' `maxConcurrent`). */
  admission: admissionSchema.default(admissionSchema.parse({})),
  /** The sign-up proof-of-work gate that switches on under a flood. */
  signupPow: signupPowSchema.default(signupPowSchema.parse({})),
  /** Server-side fetches of URLs users or admins supply (model pulls, page reading, search providers). */
  fetch: fetchSchema.default(fetchSchema.parse({})),
  /** Web search for the `web_search` tool; without it the tool is not offered. */
  search: searchSchema.optional(),
  /** MCP servers whose tools the model may call (issue 12). */
  mcp: mcpSchema.default(mcpSchema.parse({})),
  /** Documents (issue 13): the opt-in plaintext vector index for shared collections. */
  documents: documentsSchema.default(documentsSchema.parse({})),
  /** Single sign-on with OpenID Connect providers, and whether local passwords stay on (issue 14). */
  oidc: oidcSchema.default(oidcSchema.parse({})),
  /** Longest SSE line (one event) accepted from an upstream, in bytes; a longer one ends the stream with an error. */
  upstreamMaxEventBytes: z
    .int()
    .min(1024)
    .max(256 * 1024 * 1024)
    .default(1024 * 1024),
});

export type PonderConfig = z.infer<typeof configSchema>;
export type UpstreamConfig = z.infer<typeof upstreamSchema>;
export type PlanConfig = z.infer<typeof planSchema>;
export type EngineConfig = z.infer<typeof engineSchema>;
export type AdmissionConfig = z.infer<typeof admissionSchema>;
export type SignupPowConfig = z.infer<typeof signupPowSchema>;
export type FetchConfig = z.infer<typeof fetchSchema>;
export type SearchConfig = z.infer<typeof searchSchema>;
export type McpConfig = z.infer<typeof mcpSchema>;
export type McpServerConfig = z.infer<typeof mcpServerSchema>;
