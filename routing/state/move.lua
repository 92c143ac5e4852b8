-- Unchecked move from one holder to another ('' = nobody), only if `from` still holds it.
-- KEYS: asg, load, then the index keys.
-- ARGV: conversation, from ('*' = whoever, '' = nobody), to, now ms.
-- Returns {moved 0/1, previous holder}.
local KS = ks_from(3)
local conv = ARGV[1]
local cur = redis.call('HGET', KEYS[1], conv)
local cur_op = ''
if cur then cur_op = string.sub(cur, 1, string.find(cur, '|', 1, true) - 1) end
if ARGV[2] ~= '*' and cur_op ~= ARGV[2] then return {0, cur_op} end
if cur_op ~= '' then
  if tonumber(redis.call('HINCRBY', KEYS[2], cur_op, -1)) < 0 then
    redis.call('HSET', KEYS[2], cur_op, 0)
  end
end
if ARGV[3] == '' then
  -- a tombstone, so a reconciliation that read MongoDB earlier does not bring it back
  redis.call('HSET', KEYS[1], conv, '|' .. ARGV[4])
else
  redis.call('HSET', KEYS[1], conv, ARGV[3] .. '|' .. ARGV[4])
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
end
reindex(KS, cur_op)
if ARGV[3] ~= cur_op then reindex(KS, ARGV[3]) end
return {1, cur_op}
