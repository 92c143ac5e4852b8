-- Checked assignment: the decision and the counters change in one step.
-- KEYS: asg, load, cap, pres, last, ready, then the index keys.
-- ARGV: conversation, expected holder ('' none), now ms, check capacity, check presence,
--       stale-before ms, candidates... Returns {status, operator}.
local KS = ks_from(7)
if redis.call('EXISTS', KEYS[6]) == 0 then return {'not_ready', ''} end
local conv = ARGV[1]
local cur = redis.call('HGET', KEYS[1], conv)
local cur_op, cur_ms = '', 0
if cur then
  local sep = string.find(cur, '|', 1, true)
  cur_op = string.sub(cur, 1, sep - 1)
  cur_ms = tonumber(string.sub(cur, sep + 1))
end
if cur_op ~= '' and cur_op ~= ARGV[2] then
  if cur_ms >= tonumber(ARGV[6]) then return {'conflict', cur_op} end
  -- a stale entry (its MongoDB write never came): drop it
  if tonumber(redis.call('HINCRBY', KEYS[2], cur_op, -1)) < 0 then
    redis.call('HSET', KEYS[2], cur_op, 0)
  end
  redis.call('HDEL', KEYS[1], conv)
  reindex(KS, cur_op)
  cur_op = ''
end
for i = 7, #ARGV do
  local op = ARGV[i]
  local ok = true
  if ARGV[5] == '1' and redis.call('HGET', KEYS[4], op) ~= 'online' then ok = false end
  if ok and op ~= cur_op and ARGV[4] == '1' then
    local load = tonumber(redis.call('HGET', KEYS[2], op) or '0')
    local cap = tonumber(redis.call('HGET', KEYS[3], op) or '0')
    if load >= cap then ok = false end
  end
  if ok then
    redis.call('HSET', KEYS[1], conv, op .. '|' .. ARGV[3])
    if op ~= cur_op then
      redis.call('HINCRBY', KEYS[2], op, 1)
      if cur_op ~= '' then
        if tonumber(redis.call('HINCRBY', KEYS[2], cur_op, -1)) < 0 then
          redis.call('HSET', KEYS[2], cur_op, 0)
        end
      end
    end
    redis.call('HSET', KEYS[5], op, ARGV[3])
    reindex(KS, op)
    if cur_op ~= op then reindex(KS, cur_op) end
    return {'ok', op}
  end
end
return {'none', cur_op}
