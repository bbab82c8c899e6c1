/** Types shared with the server (`src/api/`), re-exported for the web app. Types only: nothing is bundled. */
export type {
  ApiAdminStatus,
  ApiAdminUser,
  ApiAdminUserList,
  ApiKeyCreated,
  ApiKeySummary,
  ApiSession,
  ApiSetupInfo,
  ApiUser,
} from '../../../src/api/auth.ts';
export type {
  ConversationDetail,
  ConversationList,
  ConversationSummary,
  GenerationEventDataMap,
  GenerationEventType,
  MessageUsage,
  MetaEventData,
  ModelListEntry,
  ModelsResponse,
  SearchResponse,
  SearchResult,
  ToolInfo,
  ToolStepResult,
  ToolsResponse,
} from '../../../src/api/conversations.ts';

import type { Message as ApiMessage, ToolStep as ApiToolStep } from '../../../src/api/conversations.ts';

/** A call to a tool that changes things, waiting for the user's decision (from `tool_confirm`). */
export interface ToolConfirm {
  /** The tool's human label. */
  title: string;
  /** How long the server waits for the decision. */
  timeoutMs: number;
  /** When the server stops waiting (client clock, epoch ms; an estimate after a reattach). */
  expiresAt: number;
  /** The user's decision, once sent (the buttons are then disabled until the result arrives). */
  decision?: 'run' | 'skip';
}

/** A tool step as the page holds it: the stored step plus, while the call waits for the user, `confirm`. */
export interface ToolStep extends ApiToolStep {
  confirm?: ToolConfirm;
}

/** A message as the page holds it (its tool steps may wait for the user). */
export interface Message extends Omit<ApiMessage, 'toolSteps'> {
  toolSteps?: ToolStep[];
}
export type { ApiErrorBody } from '../../../src/api/errors.ts';

export type Effort = 'low' | 'medium' | 'high';

export interface ThinkingOption {
  enabled: boolean;
  effort?: Effort;
}

export interface UsageResponse {
  plan: string;
  reasoningMessages: { used: number; limit: number | null };
  tokens: { used: number; limit: number | null };
  resetsAt: string;
}

export interface AdminModel {
  id: string;
  provider: string;
  state: 'ready' | 'loading' | 'downloading' | 'unavailable';
  downloadProgress?: number;
  detail?: string;
  sizeBytes?: number;
  path?: string;
  /** Pull entries: the download's id and the source the admin typed. */
  pullId?: string;
  source?: string;
}

export interface AdminUpstream {
  id: string;
  baseUrl: string;
  models: string[];
  healthy: boolean;
  outstanding: number;
  maxConcurrent: number;
}
