package redisfleet

// keys names what a fleet keeps in Redis, all under one prefix:
//
//	<prefix>acct:<account>   the fact in force about an account, with a TTL
//	                         that ends when its open time ends
//	<prefix>lease:<account>  the instance holding the probe lease
//	<prefix>facts            the channel facts are published on
type keys struct {
	prefix string
}

func (k keys) account(account string) string { return k.prefix + "acct:" + account }
func (k keys) lease(account string) string   { return k.prefix + "lease:" + account }
func (k keys) channel() string               { return k.prefix + "facts" }
func (k keys) accountMatch() string          { return escapeGlob(k.prefix) + "acct:*" }

// escapeGlob quotes the characters SCAN MATCH treats specially.
func escapeGlob(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*', '?', '[', ']', '\\':
			b = append(b, '\\', c)
		default:
			b = append(b, c)
		}
	}
	return string(b)
}
