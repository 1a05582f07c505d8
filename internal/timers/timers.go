// Package timers fires named deadlines on a clock from one min-heap; the
// escalation engine and the duty deadlines both arm their durable deadlines
// here.
package timers

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"dutybot/internal/clock"
)

// Heap fires named deadlines on a clock. It keeps them in a min-heap and
// sleeps until the earliest one, so a deadline fires when it is due (late by
// the scheduler's wake-up, not by a polling interval), and arming or moving a
// timer costs O(log n).
//
// Heap is the in-process half of durable escalation timers: the deadline is
// stored before it is set here, and a restarted process sets every open one
// again (a deadline already past fires at once).
type Heap struct {
	clock clock.Clock
	fire  func(key string, due time.Time)

	mu    sync.Mutex
	items timerHeap
	byKey map[string]*timerItem
	wake  chan struct{}
}

type timerItem struct {
	key   string
	due   time.Time
	index int
}

// New returns timers that call fire(key, due) from Run's goroutine when
// a deadline is reached. fire must not block for long: hand slow work to
// another goroutine.
func New(clk clock.Clock, fire func(key string, due time.Time)) *Heap {
	return &Heap{clock: clk, fire: fire, byKey: make(map[string]*timerItem), wake: make(chan struct{}, 1)}
}

// Set arms (or moves) the timer key to fire at due. A due time in the past
// fires as soon as Run sees it.
func (t *Heap) Set(key string, due time.Time) {
	t.mu.Lock()
	if it, ok := t.byKey[key]; ok {
		it.due = due
		heap.Fix(&t.items, it.index)
	} else {
		it := &timerItem{key: key, due: due}
		heap.Push(&t.items, it)
		t.byKey[key] = it
	}
	t.mu.Unlock()
	t.poke()
}

// Cancel disarms key and reports whether it was armed.
func (t *Heap) Cancel(key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	it, ok := t.byKey[key]
	if !ok {
		return false
	}
	heap.Remove(&t.items, it.index)
	delete(t.byKey, key)
	return true
}

// Len is the number of armed timers.
func (t *Heap) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.items)
}

func (t *Heap) poke() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Run fires timers until ctx ends.
func (t *Heap) Run(ctx context.Context) {
	for {
		due, next, ok := t.popDue()
		for _, it := range due {
			t.fire(it.key, it.due)
		}
		if len(due) > 0 {
			continue
		}
		var timer clock.Timer
		var fired <-chan time.Time
		if ok {
			timer = t.clock.NewTimer(next.Sub(t.clock.Now()))
			// The clock may have moved between reading it and arming the
			// timer; if the deadline has passed meanwhile, go round at once.
			if !t.clock.Now().Before(next) {
				timer.Stop()
				continue
			}
			fired = timer.C()
		}
		select {
		case <-ctx.Done():
		case <-t.wake:
		case <-fired:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// popDue removes and returns the timers that are due; otherwise it returns
// the next deadline (ok false when none is armed).
func (t *Heap) popDue() (due []*timerItem, next time.Time, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	for len(t.items) > 0 && !t.items[0].due.After(now) {
		it := heap.Pop(&t.items).(*timerItem)
		delete(t.byKey, it.key)
		due = append(due, it)
	}
	if len(due) > 0 || len(t.items) == 0 {
		return due, time.Time{}, false
	}
	return nil, t.items[0].due, true
}

// timerHeap orders timers by due time (container/heap).
type timerHeap []*timerItem

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *timerHeap) Push(x any) {
	it := x.(*timerItem)
	it.index = len(*h)
	*h = append(*h, it)
}
func (h *timerHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return it
}
