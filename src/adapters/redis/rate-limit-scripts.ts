/** Lua scripts of the Redis implementations. Times come from the Redis server (`TIME`), so instances with skewed clocks agree. */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

const NOW_MS = `local __t = redis.call('TIME')
local now = tonumber(__t[1]) * 1000 + math.floor(tonumber(__t[2]) / 1000)
`;

export class LuaScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** EVALSHA, loading the script with EVAL when the server does not know it (restart, flush, new server). */
  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/**
 * KEYS[1] = sorted set of ticket ids scored by expiry (ms); ARGV = limit, ticketId, ttlMs.
 * Drops expired tickets (a crashed holder's), then takes a place if one is free. 1 = taken.
 */
export const acquireScript = new LuaScript(`${NOW_MS}
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[2]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
  if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
  return 1
end
return 0
`);

/** KEYS[1] as above; ARGV = ticketId, ttlMs. Extends a live ticket; 0 when it is gone (expired or released). */
export const heartbeatScript = new LuaScript(`${NOW_MS}
local ttl = tonumber(ARGV[2])
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) <= now then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`);

/** KEYS[1] as above. Live tickets. */
export const countScript = new LuaScript(`${NOW_MS}
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
`);

/** KEYS[1] = counter; ARGV = value, ttlMs. SET NX, answering the stored value. */
export const seedScript = new LuaScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return ARGV[1] end
return redis.call('GET', KEYS[1])
`);

/** KEYS[1] = counter; ARGV = by. INCRBY only when the key exists; nil otherwise. */
export const incrementExistingScript = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end
return false
`);

/** KEYS[1] = counter; ARGV = by, ttlMs. INCRBY, setting the expiry when the key had none (new). */
export const incrementScript = new LuaScript(`
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v
`);

/**
 * KEYS[1] = hash {w, c, p} (window index, current, previous); ARGV = windowMs, limit (-1: none), cost.
 * Answers {allowed, now, w, c, p} as strings (Lua numbers would be truncated to integers in replies).
 */
export const slidingWindowScript = new LuaScript(`${NOW_MS}
local windowMs = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local w = math.floor(now / windowMs)
local s = redis.call('HMGET', KEYS[1], 'w', 'c', 'p')
local sw = tonumber(s[1])
local c = tonumber(s[2]) or 0
local p = tonumber(s[3]) or 0
if sw == nil or sw < w - 1 then
  c = 0
  p = 0
elseif sw == w - 1 then
  p = c
  c = 0
end
local count = p * (1 - (now - w * windowMs) / windowMs) + c
local allowed = 0
if limit < 0 or count + cost <= limit then allowed = 1 end
if allowed == 1 and cost > 0 then
  c = c + cost
  redis.call('HSET', KEYS[1], 'w', w, 'c', tostring(c), 'p', tostring(p))
  redis.call('PEXPIRE', KEYS[1], 2 * windowMs)
end
return {allowed, tostring(now), tostring(w), tostring(c), tostring(p)}
`);
