package push

import (
	"context"

	"dutybot/internal/cluster"
)

// openTimers lists the open escalations' timers, for cluster.Follow to
// reload.
func (e *Engine) openTimers(ctx context.Context) ([]cluster.Timer, error) {
	open, err := e.cfg.Store.OpenEscalations(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]cluster.Timer, len(open))
	for i, esc := range open {
		out[i] = cluster.Timer{Key: esc.ID, Due: esc.NextAt}
	}
	return out, nil
}
