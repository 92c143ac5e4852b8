-- Presence and heartbeat time of one operator. KEYS: seen, then the index keys.
-- ARGV: operator, presence, now ms.
local KS = ks_from(2)
redis.call('HSET', KS.pres, ARGV[1], ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
reindex(KS, ARGV[1])
return 1
