-- Rebuild from MongoDB's truth. KEYS: asg, load, ready, then the index keys.
-- ARGV: now ms, stale-before ms, when MongoDB was read (ms), then pairs conv, operator.
-- Entries changed after that read win over it (a fresh hold not yet in MongoDB, or a
-- tombstone of a release); older ones follow MongoDB. Loads are recounted from asg.
local KS = ks_from(4)
local truth = {}
for i = 4, #ARGV, 2 do truth[ARGV[i]] = ARGV[i + 1] end
local read_ms = tonumber(ARGV[3])
local fixed = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local conv, val = all[i], all[i + 1]
  local sep = string.find(val, '|', 1, true)
  local op, ms = string.sub(val, 1, sep - 1), tonumber(string.sub(val, sep + 1))
  local want = truth[conv]
  if want == op then
    truth[conv] = nil
  elseif op == '' and ms >= read_ms then
    truth[conv] = nil  -- released after MongoDB was read: stays released
  elseif op == '' and not want then
    if ms < tonumber(ARGV[2]) then redis.call('HDEL', KEYS[1], conv) end
  elseif op == '' or ms < tonumber(ARGV[2]) then
    if want then
      redis.call('HSET', KEYS[1], conv, want .. '|' .. ARGV[1])
      truth[conv] = nil
    else
      redis.call('HDEL', KEYS[1], conv)
    end
    fixed = fixed + 1
  else
    truth[conv] = nil
  end
end
for conv, op in pairs(truth) do
  redis.call('HSET', KEYS[1], conv, op .. '|' .. ARGV[1])
  fixed = fixed + 1
end
redis.call('DEL', KEYS[2])
all = redis.call('HGETALL', KEYS[1])
local counts = {}
for i = 2, #all, 2 do
  local val = all[i]
  local op = string.sub(val, 1, string.find(val, '|', 1, true) - 1)
  if op ~= '' then counts[op] = (counts[op] or 0) + 1 end
end
for op, n in pairs(counts) do redis.call('HSET', KEYS[2], op, n) end
redis.call('SET', KEYS[3], ARGV[1])
rebuild(KS)
return fixed
