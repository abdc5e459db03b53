package redisfleet

import (
	"crypto/tls"
	"time"
)

// Config says how to reach the Redis server that the instances of a fleet
// share. Only Addr is required.
type Config struct {
	// Addr is the server's host:port.
	Addr string
	// Username and Password authenticate with AUTH when Password is set.
	Username string
	Password string
	// DB selects a logical database; 0 unless set.
	DB int
	// TLS, when set, makes the connections use TLS.
	TLS *tls.Config
	// DialTimeout bounds a connection attempt, handshake included;
	// 1 s when zero.
	DialTimeout time.Duration
	// IOTimeout bounds a write of a fact and the silence of a connection
	// before it is taken for dead; 2 s when zero.
	IOTimeout time.Duration
}

func (c Config) dialTimeout() time.Duration {
	if c.DialTimeout > 0 {
		return c.DialTimeout
	}
	return time.Second
}

func (c Config) ioTimeout() time.Duration {
	if c.IOTimeout > 0 {
		return c.IOTimeout
	}
	return 2 * time.Second
}
