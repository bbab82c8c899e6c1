/**
 * What route plugins receive: the dependencies `buildApp` was given and the services built from them
 * (once, in `buildServices`). New dependencies go in `AppDeps` as optional fields, so tests and
 * `ponder serve` can build an app without them.
 */
import type { Logger } from 'pino';
import type { ApiAdminStatus } from '../api/auth.ts';
import type { PonderConfig } from '../config/schema.ts';
import type {
  AccountHooks,
  Accounts,
  Admin,
  ApiKeys,
  LoginThrottle,
  PasswordHasher,
  RateLimiter,
  ThrottleRules,
} from '../core/accounts/index.ts';
import type { OidcSignIn } from '../core/accounts/oidc-sign-in.ts';
import type { Capacity } from '../core/admission/index.ts';
import type { ArenaService } from '../core/arena/arena-service.ts';
import type { ChatService, GenerationEventLog } from '../core/chat/index.ts';
import type { CompletionService } from '../core/completions/completion-service.ts';
import type { ConversationService } from '../core/conversations/index.ts';
import type { DocumentService } from '../core/documents/document-service.ts';
import type { AcquireHook, InferenceGateway } from '../core/inference-gateway.ts';
import type { ModelRegistryTarget } from '../core/models/model-admin.ts';
import type { PlanCatalog, QuotaService } from '../core/quotas/index.ts';
import type { PowGate } from '../core/rate-limit/index.ts';
import type { ResponseService } from '../core/responses/response-service.ts';
import type { TurnPipeline } from '../core/turns/turn-pipeline.ts';
import type { ModelState, Provider } from '../inference/types.ts';
import type { UpstreamPool } from '../inference/upstream/pool.ts';
import type { Store } from '../store/types.ts';
import type { GenerationStopBus } from './capacity.ts';
import type { ErrorFormats } from './errors.ts';
import type { ServerMetrics } from './metrics.ts';
import type { ShutdownHooks } from './shutdown.ts';

/** The default model's state, for `/readyz` and chat admission. `missing`: no file and no upstream. */
export interface ModelStatus {
  state: ModelState | 'missing';
  /** Model id or file name. */
  model?: string;
  /** 0..1 while downloading. */
  downloadProgress?: number;
  /** What to do about it, for people (e.g. how to point Ponder at a `.gguf`). */
  detail?: string;
}

/** Options of the chat services (`AppDeps.chat`). */
export interface ChatDeps {
  /** Routes model ids to providers. Default: a gateway over `AppDeps.providers`. */
  gateway?: InferenceGateway;
  /**
   * Admission control for the default gateway (ignored when `gateway` is given). Default: the
   * capacity's admission (`AppDeps.capacity`), else admit at once.
   * E.g. `(s, w) => controller.request({ userId: s.userId, plan: plans[s.plan], signal: w.signal,
   * onQueued: (u) => w.onQueued?.(u.position, u.etaMs) }).ticket`.
   */
  acquire?: AcquireHook;
  /** Where generation events are kept for reattaching. Default: in memory (one instance). */
  eventLog?: GenerationEventLog;
  /** Cap on generated tokens per turn. Default: the model's remaining context. */
  maxTokens?: number;
  /** Partial-output write interval. Default 500 ms. */
  persistIntervalMs?: number;
  /** Interval of `: ping` comments on SSE streams. Default 15 000 ms. */
  ssePingMs?: number;
}

export interface AppDeps {
  config: PonderConfig;
  store: Store;
  /** Default: a pino logger at `config.logLevel` writing JSON to stdout. */
  logger?: Logger;
  /** Inference providers (embedded engine, upstream pools), for the gateway. Default none. */
  providers?: Provider[];
  /**
   * The embedded engine's model registry (usually also one of `providers`): the admin pages register
   * pulled models with it and unload removed ones. Default none.
   */
  engine?: ModelRegistryTarget;
  /** Upstream pools (usually also in `providers`), for `/api/admin/upstreams` and `/metrics`. Default none. */
  upstreamPools?: UpstreamPool[];
  /** Inference and chat wiring (see `ChatDeps`). */
  chat?: ChatDeps;
  /** Model id chat uses when a request names none. */
  defaultModel?: string;
  /** Embeddings (issue 13): model id `/v1/embeddings` and documents use when a request names none. */
  defaultEmbeddingModel?: string;
  /**
   * The setup code the first web sign-up (the future admin) must bring; `ponder serve` derives it from
   * the master key and prints it. Undefined: none asked.
   */
  setupCode?: string;
  /** The default model's state; default: `{ state: 'missing' }`. */
  modelStatus?: () => ModelStatus;
  /** Live numbers for `GET /api/admin/status`; missing ones are 0. */
  adminStatus?: () => Partial<ApiAdminStatus> | Promise<Partial<ApiAdminStatus>>;
  /** Listeners for account events (e.g. cancel a deleted user's generations). Default: a fresh list. */
  accountHooks?: AccountHooks;
  /** Hooks run on graceful shutdown. Default: a fresh list. */
  shutdownHooks?: ShutdownHooks;
  /** Login/sign-up throttling state. Default: in-process. */
  rateLimiter?: RateLimiter;
  /** Login attempt counters, reserved before each password check. Default: in-process. */
  loginThrottle?: LoginThrottle;
  /** HMAC key of the `ponder_device` cookie; the same on every instance. Default: random per process. */
  deviceSecret?: Uint8Array;
  /** Overrides of the login/sign-up throttling rules (tests raise the sign-up limit). */
  throttle?: Partial<ThrottleRules>;
  /**
   * Proof-of-work gate that switches on under a sign-up flood (428 `pow_required`). Default: an
   * in-process gate with a random secret; `null` turns it off (tests). Several instances need one
   * shared secret and Redis-backed counters.
   */
  powGate?: PowGate | null;
  /** Default: 2 concurrent hashes, 32 waiting. */
  passwordHasher?: PasswordHasher;
  /** Folder of the built web app. Default `<package>/dist/web`; served when it exists. */
  webDir?: string;
  /** Maximum JSON body in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /**
   * Admission control, plans, quotas, PoW and rate limits (`createServerCapacity`). When given, every
   * generation (web and `/v1`) passes its quota check and admission queue, and ledger rows bump the
   * quota counters. Default none: generations are admitted at once (quotas are still shown by `/api/usage`).
   */
  capacity?: Capacity;
  /** The app's Prometheus metrics. Default: a fresh registry. */
  metrics?: ServerMetrics;
  /** Carries stops to the instance running a generation (several instances). Default: this process only. */
  generationStop?: GenerationStopBus;
}

/** The chat, conversation and completion services, built once per app by `buildServices`. */
export interface AppServices {
  gateway: InferenceGateway;
  /** The one turn pipeline of the web chat and `/v1` (its `tools`: Ponder's own tool registry). */
  pipeline: TurnPipeline;
  eventLog: GenerationEventLog;
  chat: ChatService;
  conversations: ConversationService;
  /** The arena (issue 15): battles of two anonymous models, votes, the leaderboard. */
  arena: ArenaService;
  /** `/v1/chat/completions`. */
  completions: CompletionService;
  /** `/v1/responses` (issue 14): stored responses, owner-scoped. */
  responses: ResponseService;
  /** Single sign-on with OpenID Connect providers (issue 14). */
  oidc: OidcSignIn;
  /** Documents (issue 13): uploads, collections, retrieval (the turn pipeline's DocumentRetriever). */
  documents: DocumentService;
}

/** Handed to every route plugin. */
export interface AppContext extends AppFoundation {
  services: AppServices;
}

/** What the services are built from: the app's context before its services. */
export interface AppFoundation {
  deps: AppDeps;
  config: PonderConfig;
  store: Store;
  accounts: Accounts;
  apiKeys: ApiKeys;
  admin: Admin;
  accountHooks: AccountHooks;
  shutdownHooks: ShutdownHooks;
  errorFormats: ErrorFormats;
  modelStatus: () => ModelStatus;
  powGate: PowGate | null;
  /** `deps.capacity`, or null (no admission control). */
  capacity: Capacity | null;
  plans: PlanCatalog;
  /** Daily quotas (`capacity.quotas`, or read straight from the ledger). */
  quotas: QuotaService;
  metrics: ServerMetrics;
  /** Process start, for uptime. */
  startedAt: Date;
  /** Set by graceful shutdown: new state-changing requests get 503 while running work drains. */
  lifecycle: { draining: boolean };
}
