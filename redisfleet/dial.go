package redisfleet

import (
	"errors"
	"net"
	"time"
)

var (
	errSessionBroken = errors.New("redisfleet: connection to Redis lost")
	errWriteFailed   = errors.New("redisfleet: a write to Redis failed")
)

func netDialer(cfg Config) net.Dialer {
	return net.Dialer{Timeout: cfg.dialTimeout(), KeepAlive: 15 * time.Second}
}
