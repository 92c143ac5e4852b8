-- Shared by every script: the availability index (see routing/state/__init__.py).
-- SHIFT and BASE must equal routing.state.keys.SHIFT and BASE_MS (a test checks).
-- The index keys come as 8 consecutive KEYS from position i.
local SHIFT, BASE = 2199023255552, 1500000000000
local function ks_from(i)
  return {pres = KEYS[i], load = KEYS[i + 1], cap = KEYS[i + 2], last = KEYS[i + 3],
          teams = KEYS[i + 4], idx = KEYS[i + 5], pools = KEYS[i + 6], langs = KEYS[i + 7]}
end
local function pools_of(ks, op)
  local bases = {'*'}
  for t in string.gmatch(redis.call('HGET', ks.teams, op) or '', '[^,]+') do
    bases[#bases + 1] = t
  end
  local pools = {}
  local langs = redis.call('HGET', ks.langs, op) or ''
  for _, b in ipairs(bases) do
    pools[#pools + 1] = b
    for l in string.gmatch(langs, '[^,]+') do pools[#pools + 1] = b .. '|' .. l end
  end
  return pools
end
local function reindex(ks, op)
  if op == '' then return end
  local online = redis.call('HGET', ks.pres, op) == 'online'
  local load = tonumber(redis.call('HGET', ks.load, op) or '0')
  local cap = tonumber(redis.call('HGET', ks.cap, op) or '0')
  local pools = pools_of(ks, op)
  if online and load < cap then
    local last = tonumber(redis.call('HGET', ks.last, op) or '0') - BASE
    if last < 0 then last = 0 end
    if last >= SHIFT then last = SHIFT - 1 end
    local score = load * SHIFT + last
    for _, p in ipairs(pools) do
      redis.call('ZADD', ks.idx .. p, score, op)
      redis.call('SADD', ks.pools, p)
    end
  else
    for _, p in ipairs(pools) do redis.call('ZREM', ks.idx .. p, op) end
  end
end
local function rebuild(ks)
  for _, p in ipairs(redis.call('SMEMBERS', ks.pools)) do redis.call('DEL', ks.idx .. p) end
  redis.call('DEL', ks.pools, ks.idx .. '*')
  for _, op in ipairs(redis.call('HKEYS', ks.cap)) do reindex(ks, op) end
end
