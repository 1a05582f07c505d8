// Package cluster lets several dutybot instances share one database and one
// Redis without doing the same work twice: each instance has an id, takes a
// short lease before it acts on a shared timer (the store's compare-and-set
// stays the final guard), and announces the timers it arms so the others arm
// them too.
//
// Without Redis, dutybot runs as a single instance: Memory leases keep two
// goroutines of that one process from firing the same timer, and there is
// nobody to announce to.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"
)

// Lease is a named, expiring lock shared by the instances. Leases are owned
// by the instance that took them: Renew and Release do nothing to a lease
// another instance holds.
type Lease interface {
	// Acquire takes key for ttl unless someone holds it. When it is held,
	// left is how long the holder's lease still runs (its expiry is when a
	// loser should look again).
	Acquire(ctx context.Context, key string, ttl time.Duration) (held bool, left time.Duration, err error)
	// Renew extends a lease this instance holds to ttl from now; false
	// means it was lost (expired, and perhaps taken by another).
	Renew(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// Release gives up a lease this instance holds.
	Release(ctx context.Context, key string) error
}

// Announcement tells the other instances that a timer was armed.
type Announcement struct {
	Kind string    `json:"kind"` // which scheduler: KindEscalation, KindDeadline
	Key  string    `json:"key"`
	Due  time.Time `json:"due"`
	From string    `json:"from"` // the announcing instance
}

// Timer kinds announced.
const (
	KindEscalation = "escalation"
	KindDeadline   = "deadline"
)

// Bus carries announcements between instances. Delivery is best effort
// (Redis pub/sub drops messages while a subscriber is disconnected), so
// every scheduler also reloads its open timers from the store now and then.
type Bus interface {
	Publish(ctx context.Context, a Announcement) error
	// Subscribe calls fn for each announcement of another instance until
	// ctx ends.
	Subscribe(ctx context.Context, fn func(Announcement)) error
}

// NewInstanceID names this process: host, pid and a random suffix, so a
// restarted process never inherits the leases of the one before it.
func NewInstanceID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "dutybot"
	}
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}
