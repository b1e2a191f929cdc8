/**
 * Lua scripts of the Redis outbox (redis-outbox.ts). Each runs atomically in Redis, so a
 * claim, a settlement and an operator's retry never interleave, whichever instances call
 * them. Keys, under `<prefix>dlv:` (ARGV[1]):
 *   d:<id>        hash: the delivery (fields below); `lease` is the current claim token
 *   due:<target>  sorted set: id → unix ms it may next be claimed (next attempt, or a
 *                 lease's expiry while claimed), for deliveries tried or claimed before
 *   untried:<target>  sorted set: id → unix ms it became due, for deliveries never tried
 *                 and not claimed (a claim moves them to due:<target>)
 *   pending       sorted set: id → unix ms its retry window began (oldest-pending age)
 *   dead          sorted set: id → unix ms it died
 *   delivered     sorted set: id → unix ms it was delivered (trimmed to the newest N)
 * Lease times use Redis's own clock (TIME), so instances with skewed clocks still agree
 * on when a lease has expired.
 */

const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** ARGV: prefix, then 6 per delivery (id, target, type, decision, body, created ms). Returns how many were new. */
export const ENQUEUE_LUA = `
local p = ARGV[1]
local added = 0
for i = 2, #ARGV, 6 do
  local id, target, created = ARGV[i], ARGV[i + 1], ARGV[i + 5]
  local key = p .. 'd:' .. id
  if redis.call('EXISTS', key) == 0 then
    redis.call('HSET', key, 'id', id, 'target', target, 'type', ARGV[i + 2],
      'decision', ARGV[i + 3], 'body', ARGV[i + 4], 'created', created, 'window', created,
      'state', 'pending', 'attempts', 0, 'status', '', 'next', created, 'lease', '', 'final', '')
    redis.call('ZADD', p .. 'untried:' .. target, created, id)
    redis.call('ZADD', p .. 'pending', created, id)
    added = added + 1
  end
end
return added`;

/**
 * ARGV: prefix, lease ms, token, max in all, then (target, limit, untried limit) triples.
 * Leases due deliveries, oldest due first across both of a target's queues, and returns
 * them as arrays: id, target, type, decision, body, created, window, attempts, status,
 * next, lease token.
 */
export const CLAIM_LUA = `
${NOW_MS}
local p, leaseMs, token, max = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local out = {}
local k = 0
for i = 5, #ARGV, 3 do
  if #out >= max then break end
  local target = ARGV[i]
  local limit = math.min(tonumber(ARGV[i + 1]), max - #out)
  local dueKey, untriedKey = p .. 'due:' .. target, p .. 'untried:' .. target
  local tried = redis.call('ZRANGEBYSCORE', dueKey, '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit)
  local untried = {}
  local untriedLimit = math.min(tonumber(ARGV[i + 2]), limit)
  if untriedLimit > 0 then
    untried = redis.call('ZRANGEBYSCORE', untriedKey, '-inf', now, 'WITHSCORES', 'LIMIT', 0, untriedLimit)
  end
  local a, b = 1, 1
  for _ = 1, limit do
    local id, fromKey
    if a <= #tried and (b > #untried or tonumber(tried[a + 1]) <= tonumber(untried[b + 1])) then
      id, fromKey, a = tried[a], dueKey, a + 2
    elseif b <= #untried then
      id, fromKey, b = untried[b], untriedKey, b + 2
    else
      break
    end
    local key = p .. 'd:' .. id
    local f = redis.call('HMGET', key, 'state', 'type', 'decision', 'body', 'created', 'window', 'attempts', 'status', 'next')
    redis.call('ZREM', fromKey, id)
    if f[1] == 'pending' then
      k = k + 1
      local lease = token .. ':' .. k
      redis.call('HSET', key, 'lease', lease)
      -- The lease's expiry becomes the due time: if the claimer dies, another claims it then.
      redis.call('ZADD', dueKey, now + leaseMs, id)
      out[#out + 1] = { id, target, f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], lease }
    end
  end
end
return out`;

/**
 * ARGV: prefix, id, lease, state, attempts, status ('' for none), next ms, at ms, keep delivered.
 * Returns 1 when applied, 0 when the lease is no longer held (nothing changes).
 */
export const SETTLE_LUA = `
local p, id, lease, state = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local key = p .. 'd:' .. id
local f = redis.call('HMGET', key, 'state', 'lease', 'target')
if f[1] ~= 'pending' or f[2] ~= lease then return 0 end
local dueKey = p .. 'due:' .. f[3]
redis.call('HSET', key, 'attempts', ARGV[5], 'status', ARGV[6], 'lease', '', 'state', state)
if state == 'pending' then
  redis.call('HSET', key, 'next', ARGV[7])
  redis.call('ZADD', dueKey, ARGV[7], id)
  return 1
end
redis.call('HSET', key, 'next', '', 'final', ARGV[8])
redis.call('ZREM', dueKey, id)
redis.call('ZREM', p .. 'pending', id)
if state == 'dead' then
  redis.call('ZADD', p .. 'dead', ARGV[8], id)
  return 1
end
redis.call('HDEL', key, 'body')
redis.call('ZADD', p .. 'delivered', ARGV[8], id)
local extra = redis.call('ZCARD', p .. 'delivered') - tonumber(ARGV[9])
if extra > 0 then
  local old = redis.call('ZRANGE', p .. 'delivered', 0, extra - 1)
  for _, o in ipairs(old) do redis.call('DEL', p .. 'd:' .. o) end
  redis.call('ZREMRANGEBYRANK', p .. 'delivered', 0, extra - 1)
end
return 1`;

/** ARGV: prefix, id, now ms. Returns retried | unknown_delivery | delivery_not_dead. */
export const RETRY_LUA = `
local p, id, now = ARGV[1], ARGV[2], ARGV[3]
local key = p .. 'd:' .. id
local f = redis.call('HMGET', key, 'state', 'target')
if not f[1] then return 'unknown_delivery' end
if f[1] ~= 'dead' then return 'delivery_not_dead' end
redis.call('HSET', key, 'state', 'pending', 'attempts', 0, 'window', now, 'next', now, 'final', '', 'lease', '')
redis.call('ZREM', p .. 'dead', id)
redis.call('ZADD', p .. 'untried:' .. f[2], now, id)
redis.call('ZADD', p .. 'pending', now, id)
return 'retried'`;
