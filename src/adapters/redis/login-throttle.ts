/**
 * `LoginThrottle` on Redis, so every instance reserves against one count: one sorted set per key
 * (members are attempt ids, scored by time), and the whole reservation, across all its keys, is one
 * Lua script, hence atomic. Times come from the Redis server, so instances with skewed clocks agree.
 * The keys of one reservation differ in hash slot, so this needs a single Redis (not Redis Cluster).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  type LoginThrottle,
  type Reservation,
  type ThrottleEntry,
  toSeconds,
} from '../../core/accounts/login-throttle.ts';

/**
 * KEYS = one sorted set per entry; ARGV = id, then limit, windowMs, soft (1/0) per entry.
 * Answers {allowed, waitMs, count per key before this attempt}.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id = ARGV[1]
local counts = {}
local blocked = false
local wait = 0
for i = 1, #KEYS do
  local limit = tonumber(ARGV[i * 3 - 1])
  local window = tonumber(ARGV[i * 3])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local c = redis.call('ZCARD', KEYS[i])
  counts[i] = c
  if ARGV[i * 3 + 1] ~= '1' and c >= limit then
    blocked = true
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local w = window
    if oldest[2] then w = tonumber(oldest[2]) + window - now end
    if w > wait then wait = w end
  end
end
if blocked then return {0, wait, unpack(counts)} end
for i = 1, #KEYS do
  local window = tonumber(ARGV[i * 3])
  if counts[i] < tonumber(ARGV[i * 3 - 1]) then
    redis.call('ZADD', KEYS[i], now, id)
    redis.call('PEXPIRE', KEYS[i], window)
  end
end
return {1, 0, unpack(counts)}
`;

const COMMAND = 'ponderLoginReserve';

type WithReserve = Redis & {
  [COMMAND](numKeys: number, ...args: (string | number)[]): Promise<number[]>;
};

export interface RedisLoginThrottleOptions {
  redis: Redis;
  /** Prepended to every key. Default `ponder:`. */
  keyPrefix?: string;
}

export class RedisLoginThrottle implements LoginThrottle {
  readonly #redis: WithReserve;
  readonly #prefix: string;

  constructor(opts: RedisLoginThrottleOptions) {
    // defineCommand sends EVALSHA and falls back to EVAL when the server lost the script.
    if (!(COMMAND in opts.redis)) opts.redis.defineCommand(COMMAND, { lua: RESERVE });
    this.#redis = opts.redis as WithReserve;
    this.#prefix = `${opts.keyPrefix ?? 'ponder:'}lt:`;
  }

  async reserve(entries: readonly ThrottleEntry[]): Promise<Reservation> {
    const id = randomUUID();
    const keys = entries.map((e) => e.key);
    const args = entries.flatMap((e) => [
      e.rule.limit,
      Math.max(1, Math.floor(e.rule.windowMs)),
      e.soft ? 1 : 0,
    ]);
    const reply = await this.#redis[COMMAND](keys.length, ...keys.map((k) => this.#prefix + k), id, ...args);
    const [allowed, waitMs, ...counts] = reply.map(Number) as [number, number, ...number[]];
    return {
      allowed: allowed === 1,
      retryAfterSeconds: allowed === 1 ? 0 : toSeconds(waitMs),
      counts,
      id,
      keys,
    };
  }

  async refund(reservation: Reservation): Promise<void> {
    if (reservation.keys.length === 0) return;
    const pipeline = this.#redis.pipeline();
    for (const key of reservation.keys) pipeline.zrem(this.#prefix + key, reservation.id);
    for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
  }

  async reset(key: string): Promise<void> {
    await this.#redis.del(this.#prefix + key);
  }
}
