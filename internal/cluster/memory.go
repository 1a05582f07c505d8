package cluster

import (
	"context"
	"sync"
	"time"

	"dutybot/internal/clock"
)

// Memory is the in-process Lease of a single instance.
type Memory struct {
	clock clock.Clock
	mu    sync.Mutex
	until map[string]time.Time
}

// NewMemory returns in-process leases timed by clk.
func NewMemory(clk clock.Clock) *Memory {
	return &Memory{clock: clk, until: make(map[string]time.Time)}
}

// Acquire takes key unless it is held and unexpired.
func (m *Memory) Acquire(_ context.Context, key string, ttl time.Duration) (bool, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock.Now()
	if until, ok := m.until[key]; ok && until.After(now) {
		return false, until.Sub(now), nil
	}
	m.until[key] = now.Add(ttl)
	return true, 0, nil
}

// Renew extends key if it has not expired.
func (m *Memory) Renew(_ context.Context, key string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock.Now()
	until, ok := m.until[key]
	if !ok || !until.After(now) {
		delete(m.until, key)
		return false, nil
	}
	m.until[key] = now.Add(ttl)
	return true, nil
}

// Release drops key.
func (m *Memory) Release(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.until, key)
	return nil
}
