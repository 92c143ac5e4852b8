-- Capacities, teams and languages. KEYS: the index keys. ARGV: quadruples operator,
-- max_open, teams, languages (comma-separated; '=' keeps the stored ones).
local KS = ks_from(1)
for i = 1, #ARGV, 4 do
  local op, teams, langs = ARGV[i], ARGV[i + 2], ARGV[i + 3]
  redis.call('HSET', KS.cap, op, ARGV[i + 1])
  if teams ~= '=' or langs ~= '=' then
    for _, p in ipairs(pools_of(KS, op)) do redis.call('ZREM', KS.idx .. p, op) end
    if teams ~= '=' then redis.call('HSET', KS.teams, op, teams) end
    if langs ~= '=' then redis.call('HSET', KS.langs, op, langs) end
  end
  reindex(KS, op)
end
return 1
