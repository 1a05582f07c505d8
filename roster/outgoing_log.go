package roster

import (
	"context"
	"fmt"
)

// RecentOutgoing lists up to limit outgoing messages, newest first (the web
// console's delivery log).
func (s *SQLStore) RecentOutgoing(ctx context.Context, limit int) ([]Outgoing, error) {
	out, err := s.queryOutgoing(ctx, `ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list recent outgoing messages: %w", err)
	}
	return out, nil
}
