package push

import (
	"context"
	"sync"

	"dutybot/internal/cluster"
)

// share keeps this instance's timers in step with the others': it arms the
// escalations they announce, and reloads every open one from the store each
// Reconcile (announcements can be lost).
func (e *Engine) share(ctx context.Context, loops *sync.WaitGroup) {
	sh := e.cfg.Shared
	if sh.Bus != nil {
		err := sh.Bus.Subscribe(ctx, func(a cluster.Announcement) {
			if a.Kind == cluster.KindEscalation {
				e.timers.Set(a.Key, a.Due)
			}
		})
		if err != nil {
			e.cfg.Log.Error("escalation announcements: subscribe failed; relying on reconciliation", "err", err)
		}
	}
	loops.Go(func() {
		for {
			t := e.cfg.Clock.NewTimer(sh.Reconcile)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C():
			}
			open, err := e.cfg.Store.OpenEscalations(ctx)
			if err != nil {
				e.cfg.Log.Error("escalations: reconcile", "err", err)
				continue
			}
			for _, esc := range open {
				e.timers.Set(esc.ID, esc.NextAt)
			}
		}
	})
}

// announce tells the other instances to arm esc.
func (e *Engine) announce(ctx context.Context, esc Escalation) {
	sh := e.cfg.Shared
	if sh == nil || sh.Bus == nil {
		return
	}
	err := sh.Bus.Publish(ctx, cluster.Announcement{Kind: cluster.KindEscalation, Key: esc.ID, Due: esc.NextAt})
	if err != nil {
		// The others find it at their next reconciliation.
		e.cfg.Log.Warn("announce escalation", "id", esc.ID, "err", err)
	}
}
