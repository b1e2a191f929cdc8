/**
 * docs/protocol.md §2 checks 5 (rate) and 6 (nonce) in ONE Lua script, so one Redis round trip per
 * request and no interleaving between gateway instances. The rate part is the sliding
 * window of `rate-limit.ts` step for step (a test runs both on the same inputs).
 *
 * KEYS[1] rate hash (field = bucket index, value = count), KEYS[2] nonce key.
 * ARGV: nowMs, ratePerMinute (0 = no limit), nonce TTL ms, bucket ms, buckets.
 * Reply: {1} admitted, {0, retryAfterSeconds} rate limited, {2} replayed nonce.
 * Like the memory adapter, an allowed request is counted before its nonce is claimed.
 */
export const ADMIT_LUA = `
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local bucketMs = tonumber(ARGV[4])
local buckets = tonumber(ARGV[5])
if limit > 0 then
  local current = math.floor(now / bucketMs)
  local oldest = current - buckets
  local flat = redis.call('HGETALL', KEYS[1])
  local total = 0
  local live = {}
  local stale = {}
  for i = 1, #flat, 2 do
    local index = tonumber(flat[i])
    local count = tonumber(flat[i + 1])
    if index >= oldest then
      total = total + count
      live[#live + 1] = { index, count }
    else
      stale[#stale + 1] = flat[i]
    end
  end
  if #stale > 0 then redis.call('HDEL', KEYS[1], unpack(stale)) end
  if total >= limit then
    table.sort(live, function(a, b) return a[1] < b[1] end)
    local remaining = total
    for _, bucket in ipairs(live) do
      remaining = remaining - bucket[2]
      if remaining < limit then
        local waitMs = (bucket[1] + buckets + 1) * bucketMs - now
        return { 0, math.max(1, math.ceil(waitMs / 1000)) }
      end
    end
    return { 0, 1 }
  end
  redis.call('HINCRBY', KEYS[1], tostring(current), 1)
  redis.call('PEXPIRE', KEYS[1], (buckets + 2) * bucketMs)
end
if redis.call('SET', KEYS[2], '1', 'PX', ARGV[3], 'NX') then return { 1 } end
return { 2 }
`;
