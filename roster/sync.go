package roster

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// DirectoryUser is one person as the organisation's address book (WeCom's
// 通讯录) shows them. roster does not know where it came from; the bot
// fills it in.
type DirectoryUser struct {
	UserID     string
	Name       string
	Mobile     string
	Department string // the main department's name
	// Active is false when the account is disabled or the person has left.
	Active bool
}

// MemberChange is one member before and after a change.
type MemberChange struct {
	Before, After Member
}

// SyncPlan is what bringing the members in line with the address book
// changes. Members are never deleted: someone who leaves is deactivated, so
// their history stays. Roles are not part of a plan; applying one keeps
// every member's roles as they are, and new members start with none.
type SyncPlan struct {
	// Create lists people in the address book who are not members yet.
	Create []Member
	// Update lists active members whose name, mobile or department changed.
	Update []MemberChange
	// Deactivate lists active members who left the address book or whose
	// account is disabled.
	Deactivate []MemberChange
	// Reactivate lists inactive members who are back in the address book.
	Reactivate []MemberChange
}

// Empty reports whether the plan changes nothing.
func (p SyncPlan) Empty() bool {
	return len(p.Create) == 0 && len(p.Update) == 0 && len(p.Deactivate) == 0 && len(p.Reactivate) == 0
}

// Changes lists every change of the plan, new members with a zero Before,
// in the order creates, updates, deactivations, reactivations.
func (p SyncPlan) Changes() []MemberChange {
	out := make([]MemberChange, 0, len(p.Create)+len(p.Update)+len(p.Deactivate)+len(p.Reactivate))
	for _, m := range p.Create {
		out = append(out, MemberChange{After: m})
	}
	out = append(out, p.Update...)
	out = append(out, p.Deactivate...)
	return append(out, p.Reactivate...)
}

// Result is the member list as it will be once the plan is applied to
// existing (the list it was made from), ordered by userid.
func (p SyncPlan) Result(existing []Member) []Member {
	byID := make(map[string]Member, len(existing)+len(p.Create))
	for _, m := range existing {
		byID[m.UserID] = m
	}
	for _, c := range p.Changes() {
		byID[c.After.UserID] = c.After
	}
	out := make([]Member, 0, len(byID))
	for _, m := range byID {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.UserID, b.UserID) })
	return out
}

// ErrEmptyDirectory is returned for a sync against an address book with no
// one in it: applying it would deactivate every member, which is almost
// certainly a misconfiguration (the app's visible range) and not the truth.
var ErrEmptyDirectory = errors.New("the address book lists no one")

// SyncMembers plans bringing existing members in line with the whole
// address book:
//
//   - a person in the directory who is not a member and is active becomes a
//     new active member with no roles (disabled people are not added);
//   - a member whose name, mobile or department differs is updated — an
//     empty value in the directory never blanks a known one, since WeCom
//     withholds fields such as the mobile from some apps;
//   - an active member missing from the directory, or disabled or gone
//     there, is deactivated;
//   - an inactive member who is active in the directory is reactivated.
//
// UserIDs match case-insensitively, as WeCom treats them; the member keeps
// the userid it has. A userid listed twice counts once (first wins).
// Each list of the plan is ordered by userid. SyncMembers is pure: it
// reads its arguments only.
func SyncMembers(existing []Member, directory []DirectoryUser) SyncPlan {
	return plan(existing, directory, true)
}

// SyncMember plans the change one address-book entry makes (a WeCom
// change_contact event): the same rules as SyncMembers, for u.UserID
// only. Pass Active false to deactivate a member who was removed.
func SyncMember(existing []Member, u DirectoryUser) SyncPlan {
	return plan(existing, []DirectoryUser{u}, false)
}

// plan is SyncMembers (full) or SyncMember (!full: members not in directory
// are left alone).
func plan(existing []Member, directory []DirectoryUser, full bool) SyncPlan {
	byKey := make(map[string]Member, len(existing))
	for _, m := range existing {
		byKey[strings.ToLower(m.UserID)] = m
	}
	var p SyncPlan
	seen := make(map[string]bool, len(directory))
	for _, u := range directory {
		u.UserID = strings.TrimSpace(u.UserID)
		key := strings.ToLower(u.UserID)
		if key == "" || seen[key] {
			continue
		}
		seen[key] = true
		m, ok := byKey[key]
		if !ok {
			if u.Active {
				p.Create = append(p.Create, Member{
					UserID: u.UserID, Name: orKnown(u.Name, u.UserID), Mobile: u.Mobile,
					Department: u.Department, Active: true,
				})
			}
			continue
		}
		after := m
		after.Name = orKnown(u.Name, m.Name)
		after.Mobile = orKnown(u.Mobile, m.Mobile)
		after.Department = orKnown(u.Department, m.Department)
		after.Active = u.Active
		change := MemberChange{Before: m, After: after}
		switch {
		case m.Active && !u.Active:
			p.Deactivate = append(p.Deactivate, change)
		case !m.Active && u.Active:
			p.Reactivate = append(p.Reactivate, change)
		case after.Name != m.Name || after.Mobile != m.Mobile || after.Department != m.Department:
			p.Update = append(p.Update, change)
		}
	}
	if full {
		for _, m := range existing {
			if m.Active && !seen[strings.ToLower(m.UserID)] {
				after := m
				after.Active = false
				p.Deactivate = append(p.Deactivate, MemberChange{Before: m, After: after})
			}
		}
	}
	byMember := func(a, b Member) int { return strings.Compare(a.UserID, b.UserID) }
	byChange := func(a, b MemberChange) int { return byMember(a.After, b.After) }
	slices.SortFunc(p.Create, byMember)
	slices.SortFunc(p.Update, byChange)
	slices.SortFunc(p.Deactivate, byChange)
	slices.SortFunc(p.Reactivate, byChange)
	return p
}

// orKnown is s trimmed, or known when s is blank.
func orKnown(s, known string) string {
	if s = strings.TrimSpace(s); s != "" {
		return s
	}
	return known
}

// ChangedFields names, in Chinese, the fields that differ between a
// member before and after: 姓名, 手机, 部门, 状态.
func (c MemberChange) ChangedFields() []string {
	var out []string
	if c.Before.Name != c.After.Name {
		out = append(out, "姓名")
	}
	if c.Before.Mobile != c.After.Mobile {
		out = append(out, "手机")
	}
	if c.Before.Department != c.After.Department {
		out = append(out, "部门")
	}
	if c.Before.Active != c.After.Active {
		out = append(out, "状态")
	}
	return out
}

// ActiveAdmins lists the active members holding the admin role.
func ActiveAdmins(ms []Member) []Member {
	var out []Member
	for _, m := range ms {
		if m.Active && m.HasRole(RoleAdmin) {
			out = append(out, m)
		}
	}
	return out
}

// ErrLastAdmin is returned for taking the admin role from the only active
// admin: no one could manage the office through the bot afterwards.
var ErrLastAdmin = errors.New("the only active admin cannot lose the admin role")

// memberText describes a member for the audit log, one line.
func memberText(m Member) string {
	state := "在用"
	if !m.Active {
		state = "已停用"
	}
	return fmt.Sprintf("%s %s 部门=%s 手机=%s %s", m.UserID, m.Name, m.Department, m.Mobile, state)
}

// rolesText lists roles by their Chinese names for the audit log.
func rolesText(rs []Role) string {
	if len(rs) == 0 {
		return "无"
	}
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Label()
	}
	return strings.Join(names, "、")
}
