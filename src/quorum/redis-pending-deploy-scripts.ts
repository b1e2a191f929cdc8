/** Lua scripts of `RedisPendingDeployStore`, each run atomically by Redis. */

/*
 * One hash per deploy, `<prefix>deploy:<id>`:
 *   deploy      JSON of the record as created (fields an approver signs; never changes)
 *   approvedBy  JSON array of names, in order of acceptance (changed only by APPROVE_DEPLOY_LUA)
 *   state       'pending' | 'approved'
 *   released    '1' once the approved deploy's `allow` decision is durable (MARK_RELEASED_LUA)
 *   expiresAtMs, goneAtMs   expiry and end of retention, unix ms
 * The key itself expires at the end of retention, so nothing is left behind.
 */

/** KEYS[1] deploy key. ARGV: deploy JSON, approvedBy JSON, state, expiresAtMs, goneAtMs, ttlMs. */
export const CREATE_DEPLOY_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'deploy', ARGV[1], 'approvedBy', ARGV[2], 'state', ARGV[3],
  'expiresAtMs', ARGV[4], 'goneAtMs', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1
`;

/**
 * The whole read-check-append in one script, so approvals arriving at several instances at
 * the same moment are serialised by Redis: none is lost, none counted twice. Same outcome
 * order and counting rule as the memory adapter (PendingDeployStore.recordApproval,
 * countedApprovers): only distinct names of the current quorum count.
 * KEYS[1] deploy key. ARGV: approver, nowMs, threshold, eligible approver names...
 */
export const APPROVE_DEPLOY_LUA = `
local f = redis.call('HMGET', KEYS[1], 'approvedBy', 'state', 'expiresAtMs', 'goneAtMs')
if not f[1] then return { 'unknown_deploy' } end
local now = tonumber(ARGV[2])
if now > tonumber(f[4]) then return { 'unknown_deploy' } end
if f[2] == 'approved' then return { 'deploy_closed' } end
if now > tonumber(f[3]) then return { 'deploy_expired' } end
local approvedBy = cjson.decode(f[1])
for _, name in ipairs(approvedBy) do
  if name == ARGV[1] then return { 'already_approved' } end
end
approvedBy[#approvedBy + 1] = ARGV[1]
local eligible = {}
for i = 4, #ARGV do eligible[ARGV[i]] = true end
local seen = {}
local counted = 0
for _, name in ipairs(approvedBy) do
  if eligible[name] and not seen[name] then
    seen[name] = true
    counted = counted + 1
  end
end
local state = 'pending'
if counted >= tonumber(ARGV[3]) then state = 'approved' end
local encoded = cjson.encode(approvedBy)
redis.call('HSET', KEYS[1], 'approvedBy', encoded, 'state', state)
return { 'recorded', redis.call('HGET', KEYS[1], 'deploy'), encoded, state }
`;

/** KEYS[1] deploy key. Sets `released` on an approved deploy; never recreates a gone key. */
export const MARK_RELEASED_LUA = `
if redis.call('HGET', KEYS[1], 'state') ~= 'approved' then return 0 end
redis.call('HSET', KEYS[1], 'released', '1')
return 1
`;
