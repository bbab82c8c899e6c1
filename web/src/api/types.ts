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
  Message,
  MessageUsage,
  MetaEventData,
  ModelListEntry,
  ModelsResponse,
  SearchResponse,
  SearchResult,
  ToolInfo,
  ToolStep,
  ToolStepResult,
  ToolsResponse,
} from '../../../src/api/conversations.ts';
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
