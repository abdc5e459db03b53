package redisfleet

import (
	"crypto/sha1"
	"encoding/hex"
)

// writeScript stores and publishes a fact unless Redis holds a newer one of
// the same account, in one round trip and atomically, so that a late or
// repeated write never replaces a newer fact.
//
//	KEYS[1]  the account's key
//	ARGV[1]  the fact
//	ARGV[2]  its TTL in milliseconds; "0" deletes the key
//	ARGV[3]  its At in Unix microseconds
//	ARGV[4]  the channel to publish it on; "" publishes nothing
const writeScript = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, f = pcall(cjson.decode, cur)
  if ok and type(f) == 'table' and tonumber(f.at) and tonumber(f.at) > tonumber(ARGV[3]) then
    return 0
  end
end
if ARGV[2] == '0' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
if ARGV[4] ~= '' then
  redis.call('PUBLISH', ARGV[4], ARGV[1])
end
return 1
`

// writeScriptSHA names writeScript for EVALSHA.
var writeScriptSHA = func() string {
	sum := sha1.Sum([]byte(writeScript))
	return hex.EncodeToString(sum[:])
}()
