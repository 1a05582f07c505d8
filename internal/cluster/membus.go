package cluster

import (
	"context"
	"slices"
	"sync"
)

// MemoryBus connects the schedulers of one process, standing in for Redis
// pub/sub where several "instances" run in one test. Join gives each its
// end; announcements reach every other end, synchronously.
type MemoryBus struct {
	mu   sync.Mutex
	subs []*memorySub
}

type memorySub struct {
	self string
	fn   func(Announcement)
}

// NewMemoryBus returns an empty bus.
func NewMemoryBus() *MemoryBus { return &MemoryBus{} }

// Join returns instance self's end of the bus.
func (b *MemoryBus) Join(self string) Bus { return memoryEnd{bus: b, self: self} }

type memoryEnd struct {
	bus  *MemoryBus
	self string
}

func (e memoryEnd) Publish(_ context.Context, a Announcement) error {
	a.From = e.self
	e.bus.mu.Lock()
	subs := e.bus.subs
	e.bus.mu.Unlock()
	for _, s := range subs {
		if s.self != a.From {
			s.fn(a)
		}
	}
	return nil
}

// Subscribe delivers to fn until ctx ends.
func (e memoryEnd) Subscribe(ctx context.Context, fn func(Announcement)) error {
	sub := &memorySub{self: e.self, fn: fn}
	e.bus.mu.Lock()
	e.bus.subs = append(e.bus.subs, sub)
	e.bus.mu.Unlock()
	context.AfterFunc(ctx, func() {
		e.bus.mu.Lock()
		defer e.bus.mu.Unlock()
		e.bus.subs = slices.DeleteFunc(slices.Clone(e.bus.subs), func(s *memorySub) bool { return s == sub })
	})
	return nil
}
