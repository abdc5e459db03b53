package redisfleet

import (
	"crypto/sha1"
	"encoding/hex"
)

// writeScript stores and publishes a fact unless Redis holds a newer one of
// the same account, in one round trip and atomically, so that a late or
// repeated write never replaces a newer fact. With a lease token it first
// ends the account's probe lease if that grant still holds it, since the
// fact is the outcome of the probe the lease was for: a close ends it at
// once, an open when the open ends, so that no other instance probes the
// re-opened account before its time.
//
//	KEYS[1]  the account's key
//	KEYS[2]  the account's lease key
//	ARGV[1]  the fact
//	ARGV[2]  its TTL in milliseconds
//	ARGV[3]  its At in Unix microseconds
//	ARGV[4]  the channel to publish it on; "" publishes nothing
//	ARGV[5]  the lease token to release; "" releases nothing
//	ARGV[6]  the lease's remaining time in milliseconds; "0" ends it now
const writeScript = `
if ARGV[5] ~= '' and redis.call('GET', KEYS[2]) == ARGV[5] then
  if tonumber(ARGV[6]) > 0 then
    redis.call('PEXPIRE', KEYS[2], ARGV[6])
  else
    redis.call('DEL', KEYS[2])
  end
end
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, f = pcall(cjson.decode, cur)
  if ok and type(f) == 'table' and tonumber(f.at) and tonumber(f.at) > tonumber(ARGV[3]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[4] ~= '' then
  redis.call('PUBLISH', ARGV[4], ARGV[1])
end
return 1
`

// leaseScript grants the probe lease of an account to an instance for a
// TTL when nobody holds it or when that instance already does (an earlier
// grant of its own, whose release has not reached Redis yet): it sets the
// key to the new grant's token, "<instance>#<n>". It returns 1 when it
// granted, 0 when another instance holds the lease.
//
//	KEYS[1]  the account's lease key
//	ARGV[1]  the new grant's token
//	ARGV[2]  the TTL in milliseconds
//	ARGV[3]  the instance's name
const leaseScript = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local p = ARGV[3] .. '#'
  if string.sub(cur, 1, #p) ~= p or not string.match(string.sub(cur, #p + 1), '^%d+$') then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`

// writeScriptSHA and leaseScriptSHA name the scripts for EVALSHA.
var (
	writeScriptSHA = scriptSHA(writeScript)
	leaseScriptSHA = scriptSHA(leaseScript)
)

func scriptSHA(script string) string {
	sum := sha1.Sum([]byte(script))
	return hex.EncodeToString(sum[:])
}
