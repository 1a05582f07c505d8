// Package roster holds the duty office's domain: members and their roles, and
// (in later issues) shifts, schedules, check-ins, handovers and incidents. It
// also owns the store those live in. roster knows nothing of WeCom or push.
package roster

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Role is what a member may do in the duty office.
type Role string

// The roles a member can hold; a member may hold several.
const (
	RoleOfficer Role = "officer" // 值班员
	RoleLeader  Role = "leader"  // 带班领导
	RoleAdmin   Role = "admin"   // 值班室管理员
)

// AllRoles lists every role in display order.
func AllRoles() []Role { return []Role{RoleOfficer, RoleLeader, RoleAdmin} }

// Label is the role's Chinese name as shown to officers.
func (r Role) Label() string {
	switch r {
	case RoleOfficer:
		return "值班员"
	case RoleLeader:
		return "带班领导"
	case RoleAdmin:
		return "管理员"
	}
	return string(r)
}

// ParseRole accepts a role by its English key or Chinese name.
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "officer", "值班员", "值班":
		return RoleOfficer, nil
	case "leader", "带班领导", "领导":
		return RoleLeader, nil
	case "admin", "管理员":
		return RoleAdmin, nil
	}
	return "", fmt.Errorf("unknown role %q: use 值班员/officer, 领导/leader or 管理员/admin", s)
}

// Member is a person in the duty office, identified by their WeCom userid.
type Member struct {
	UserID     string
	Name       string
	Mobile     string
	Department string
	Roles      []Role
	Active     bool
	CreatedAt  time.Time // UTC
	UpdatedAt  time.Time // UTC
}

// HasRole reports whether m holds r.
func (m Member) HasRole(r Role) bool { return slices.Contains(m.Roles, r) }

// HasAnyRole reports whether m holds at least one of rs.
func (m Member) HasAnyRole(rs ...Role) bool {
	for _, r := range rs {
		if m.HasRole(r) {
			return true
		}
	}
	return false
}

// ErrNotFound is returned when a looked-up record does not exist.
var ErrNotFound = errors.New("not found")
