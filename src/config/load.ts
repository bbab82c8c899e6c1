import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { configSchema, type PonderConfig } from './schema.ts';

/** Raised for any configuration problem; the message names the offending key and its source. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** `PONDER_*` variables and the config path they set. Anything else named `PONDER_*` is an error. */
type EnvKind = 'string' | 'int' | 'bool' | 'json' | 'list' | 'trust-proxy';

const ENV_KEYS: Record<string, { path: string[]; kind: EnvKind }> = {
  PONDER_DATA_DIR: { path: ['dataDir'], kind: 'string' },
  PONDER_HOST: { path: ['host'], kind: 'string' },
  PONDER_PORT: { path: ['port'], kind: 'int' },
  PONDER_MODEL: { path: ['model'], kind: 'string' },
  // The embedding model (issue 13): a .gguf path, a name under <dataDir>/models, an upstream id, or "off".
  PONDER_EMBEDDING_MODEL: { path: ['embedding', 'model'], kind: 'string' },
  PONDER_DATABASE_URL: { path: ['databaseUrl'], kind: 'string' },
  PONDER_MASTER_KEY: { path: ['masterKey'], kind: 'string' },
  PONDER_REDIS_URL: { path: ['redisUrl'], kind: 'string' },
  PONDER_REDIS_KEY_PREFIX: { path: ['redisKeyPrefix'], kind: 'string' },
  PONDER_METRICS_TOKEN: { path: ['metricsToken'], kind: 'string' },
  PONDER_LOG_LEVEL: { path: ['logLevel'], kind: 'string' },
  PONDER_LOG_FORMAT: { path: ['logFormat'], kind: 'string' },
  PONDER_SIGNUP_MODE: { path: ['signupMode'], kind: 'string' },
  PONDER_SECURE_COOKIES: { path: ['secureCookies'], kind: 'bool' },
  PONDER_TRUST_PROXY: { path: ['trustProxy'], kind: 'trust-proxy' },
  PONDER_PUBLIC_URL: { path: ['publicUrl'], kind: 'string' },
  PONDER_ALLOWED_HOSTS: { path: ['allowedHosts'], kind: 'list' },
  PONDER_FETCH_ALLOW_PRIVATE_HOSTS: { path: ['fetch', 'allowPrivateHosts'], kind: 'list' },
  PONDER_SEARCH_PROVIDER: { path: ['search', 'provider'], kind: 'string' },
  PONDER_SEARCH_URL: { path: ['search', 'baseUrl'], kind: 'string' },
  PONDER_SEARCH_API_KEY: { path: ['search', 'apiKey'], kind: 'string' },
  PONDER_SEARCH_MAX_RESULTS: { path: ['search', 'maxResults'], kind: 'int' },
  PONDER_UPSTREAM_MAX_EVENT_BYTES: { path: ['upstreamMaxEventBytes'], kind: 'int' },
  PONDER_ENGINE_SLOTS: { path: ['engine', 'slots'], kind: 'int' },
  PONDER_ENGINE_THREADS: { path: ['engine', 'threads'], kind: 'int' },
  PONDER_ENGINE_CONTEXT_SIZE: { path: ['engine', 'contextSize'], kind: 'int' },
  PONDER_ENGINE_BATCH_SIZE: { path: ['engine', 'batchSize'], kind: 'int' },
  PONDER_ENGINE_GPU: { path: ['engine', 'gpu'], kind: 'string' },
  PONDER_UPSTREAMS: { path: ['upstreams'], kind: 'json' },
  PONDER_DEFAULT_PLAN: { path: ['defaultPlan'], kind: 'string' },
  PONDER_ADMISSION_MAX_QUEUED: { path: ['admission', 'maxQueued'], kind: 'int' },
  PONDER_ADMISSION_MAX_QUEUED_PER_USER: { path: ['admission', 'maxQueuedPerUser'], kind: 'int' },
  PONDER_ADMISSION_MAX_WAIT_MS: { path: ['admission', 'maxWaitMs'], kind: 'int' },
  PONDER_ADMISSION_FAIR_SHARE_WINDOW_MS: { path: ['admission', 'fairShareWindowMs'], kind: 'int' },
  PONDER_SIGNUP_POW_ON_RATE: { path: ['signupPow', 'onRate'], kind: 'int' },
  PONDER_SIGNUP_POW_OFF_RATE: { path: ['signupPow', 'offRate'], kind: 'int' },
  PONDER_SIGNUP_POW_DIFFICULTY: { path: ['signupPow', 'difficultyBits'], kind: 'int' },
  // Break-glass for single sign-on: password login back on when the identity provider is unusable.
  PONDER_OIDC_LOCAL_PASSWORDS: { path: ['oidc', 'localPasswords'], kind: 'bool' },
};

/** Variables read by other tools (tests, the CLI itself) that share the prefix but are not configuration. */
const ENV_IGNORED_PREFIXES = ['PONDER_TEST_', 'PONDER_CONFIG', 'PONDER_BENCH_'];

export type ConfigOverrides = Record<string, unknown>;

export interface LoadConfigOptions {
  /** Directory searched for `ponder.config.json`. */
  cwd: string;
  env: Record<string, string | undefined>;
  /** Already-structured overrides from CLI flags (highest precedence). */
  flags?: ConfigOverrides;
  /** Explicit config file; default `<cwd>/ponder.config.json` (or `PONDER_CONFIG`) when it exists. */
  configFile?: string;
}

export function loadConfig(options: LoadConfigOptions): PonderConfig {
  const fileLayer = readConfigFile(options);
  const envLayer = readEnv(options.env);
  const merged = deepMerge(deepMerge(fileLayer, envLayer), stripUndefined(options.flags ?? {}));
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error));
  return parsed.data;
}

function readConfigFile(options: LoadConfigOptions): ConfigOverrides {
  const explicit = options.configFile ?? options.env.PONDER_CONFIG;
  const path = resolve(options.cwd, explicit ?? 'ponder.config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && explicit === undefined) return {};
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error('the top level must be an object');
    }
    return value as ConfigOverrides;
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

function readEnv(env: Record<string, string | undefined>): ConfigOverrides {
  const out: ConfigOverrides = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('PONDER_') || raw === undefined || raw === '') continue;
    if (ENV_IGNORED_PREFIXES.some((p) => name.startsWith(p))) continue;
    const spec = ENV_KEYS[name];
    if (!spec) {
      throw new ConfigError(
        `unknown environment variable ${name} (known: ${Object.keys(ENV_KEYS).join(', ')})`,
      );
    }
    setPath(out, spec.path, convertEnv(name, raw, spec.kind));
  }
  return out;
}

function convertEnv(name: string, raw: string, kind: EnvKind): unknown {
  switch (kind) {
    case 'string':
      return raw;
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${name}: expected an integer, got "${raw}"`);
      return Number(raw);
    }
    case 'bool': {
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw new ConfigError(`${name}: expected true or false, got "${raw}"`);
    }
    case 'json':
      try {
        return JSON.parse(raw);
      } catch (err) {
        throw new ConfigError(`${name}: not valid JSON: ${(err as Error).message}`);
      }
    case 'list':
      return raw
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '');
    case 'trust-proxy': {
      // `false`/`0` off, a hop count, or CIDRs / addresses (comma-separated).
      const value = raw.trim();
      if (/^(0|false|no|off)$/i.test(value)) return false;
      if (/^\d+$/.test(value)) return Number(value);
      return value;
    }
    default:
      return kind satisfies never;
  }
}

function setPath(target: ConfigOverrides, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as ConfigOverrides;
  }
  node[path[path.length - 1] as string] = value;
}

function isPlainObject(v: unknown): v is ConfigOverrides {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: ConfigOverrides, over: ConfigOverrides): ConfigOverrides {
  const out: ConfigOverrides = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

function stripUndefined(obj: ConfigOverrides): ConfigOverrides {
  const out: ConfigOverrides = {};
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined) continue;
    out[key] = isPlainObject(value) ? stripUndefined(value) : value;
  }
  return out;
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.join('.');
      if (issue.code === 'unrecognized_keys') {
        const where = path ? `${path}.` : '';
        return `unknown config key ${issue.keys.map((k) => `"${where}${k}"`).join(', ')}`;
      }
      return `config key "${path || '(root)'}": ${issue.message}`;
    })
    .join('; ');
}
