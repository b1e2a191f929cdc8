/** Lua scripts of `RedisPendingDeployStore`, each run atomically by Redis. */

/*
 * One hash per deploy, `<prefix>deploy:<id>`:
 *   deploy      JSON of the record as created (fields an approver signs; never changes)
 *   votes       JSON array of { approver, publicKey, signature | sshSignature }, in order of
 *               acceptance (changed only by APPROVE_DEPLOY_LUA)
 *   state       'pending' | 'approved'
 *   claim, claimUntil   the live release claim: token and its end, unix ms (docs/protocol.md §16:
 *               one `allow` per deploy); set with the approving vote or by CLAIM_RELEASE_LUA
 *   released    '1' once the approved deploy's `allow` decision is durable
 *   decision    JSON { index, leafHash } of that `allow` entry
 *   approvals   JSON array of the votes that release counted
 *   expiresAtMs, goneAtMs   expiry and end of retention, unix ms
 * The key itself expires at the end of retention, so nothing is left behind. No script
 * ever recreates a key that is gone.
 *
 * One sorted set per client, `<prefix>deploys-open:<client id>`: the ids of its deploys that
 * may still be open, scored by expiresAtMs. CREATE_DEPLOY_LUA drops the expired ones, counts
 * the rest against the per-client cap and adds the new id, in one step; an approved deploy
 * is removed right after its approval (RedisPendingDeployStore.recordApproval). The set
 * expires with the newest deploy in it.
 */

/**
 * KEYS[1] deploy key, KEYS[2] the client's open-deploy set. ARGV: deploy JSON, votes JSON,
 * state, expiresAtMs, goneAtMs, ttlMs, nowMs, per-client cap, deploy id.
 * Returns 1 created, 0 duplicate id, or { 'full', <expiresAtMs of the oldest open deploy> }.
 */
export const CREATE_DEPLOY_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[7])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[8]) then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return { 'full', oldest[2] }
end
redis.call('HSET', KEYS[1], 'deploy', ARGV[1], 'votes', ARGV[2], 'state', ARGV[3],
  'expiresAtMs', ARGV[4], 'goneAtMs', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[9])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[6]) then redis.call('PEXPIRE', KEYS[2], ARGV[6]) end
return 1
`;

/**
 * The whole read-check-append in one script, so approvals arriving at several instances at
 * the same moment are serialised by Redis: none is lost, none counted twice. Same outcome
 * order and counting rule as the memory adapter (PendingDeployStore.recordApproval,
 * countedVotes): only the first vote of each listed name made with its CURRENT key counts.
 * The vote that reaches the threshold claims the release in the same step.
 * KEYS[1] deploy key. ARGV: approver, publicKey, vote JSON, nowMs, threshold, claim token,
 * claim end ms, then (name, current key) pairs of the eligible approvers.
 */
export const APPROVE_DEPLOY_LUA = `
local f = redis.call('HMGET', KEYS[1], 'votes', 'state', 'expiresAtMs', 'goneAtMs')
if not f[1] then return { 'unknown_deploy' } end
local now = tonumber(ARGV[4])
if now > tonumber(f[4]) then return { 'unknown_deploy' } end
if f[2] == 'approved' then return { 'deploy_closed' } end
if now > tonumber(f[3]) then return { 'deploy_expired' } end
local votes = cjson.decode(f[1])
for _, v in ipairs(votes) do
  if v.approver == ARGV[1] and v.publicKey == ARGV[2] then return { 'already_approved' } end
end
votes[#votes + 1] = cjson.decode(ARGV[3])
local keys = {}
for i = 8, #ARGV, 2 do keys[ARGV[i]] = ARGV[i + 1] end
local seen = {}
local counted = 0
for _, v in ipairs(votes) do
  if keys[v.approver] ~= nil and keys[v.approver] == v.publicKey and not seen[v.approver] then
    seen[v.approver] = true
    counted = counted + 1
  end
end
local state = 'pending'
if counted >= tonumber(ARGV[5]) then state = 'approved' end
local encoded = cjson.encode(votes)
redis.call('HSET', KEYS[1], 'votes', encoded, 'state', state)
if state == 'approved' then
  redis.call('HSET', KEYS[1], 'claim', ARGV[6], 'claimUntil', ARGV[7])
end
return { 'recorded', redis.call('HGET', KEYS[1], 'deploy'), encoded, state }
`;

/**
 * KEYS[1] deploy key. ARGV: token, claim end ms, nowMs. Claims the release of an approved,
 * unreleased deploy unless a live claim exists. Returns the ClaimOutcome text.
 */
export const CLAIM_RELEASE_LUA = `
local f = redis.call('HMGET', KEYS[1], 'state', 'released', 'claimUntil', 'goneAtMs')
if not f[1] then return 'not_approved' end
local now = tonumber(ARGV[3])
if now > tonumber(f[4]) then return 'not_approved' end
if f[1] ~= 'approved' then return 'not_approved' end
if f[2] == '1' then return 'released' end
if f[3] and tonumber(f[3]) >= now then return 'held' end
redis.call('HSET', KEYS[1], 'claim', ARGV[1], 'claimUntil', ARGV[2])
return 'claimed'
`;

/**
 * KEYS[1] deploy key. ARGV: token, decision JSON, approvals JSON. Marks an approved deploy
 * released (once: the first release recorded stays) and drops the claim if `token` holds it.
 */
export const COMPLETE_RELEASE_LUA = `
if redis.call('HGET', KEYS[1], 'state') ~= 'approved' then return 0 end
if redis.call('HGET', KEYS[1], 'released') ~= '1' then
  redis.call('HSET', KEYS[1], 'released', '1', 'decision', ARGV[2], 'approvals', ARGV[3])
end
if redis.call('HGET', KEYS[1], 'claim') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'claim', 'claimUntil')
end
return 1
`;

/** KEYS[1] deploy key. ARGV: token. Drops the claim if `token` holds it. */
export const ABANDON_RELEASE_LUA = `
if redis.call('HGET', KEYS[1], 'claim') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'claim', 'claimUntil')
  return 1
end
return 0
`;
