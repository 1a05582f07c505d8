package roster

import (
	"fmt"
	"strings"
)

// AmbiguousError means a name matched several members; the reply lists them
// (with departments) so the admin can pick by userid.
type AmbiguousError struct {
	Query   string
	Matches []Member
}

func (e *AmbiguousError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "有 %d 位成员叫「%s」，请用账号指定：", len(e.Matches), e.Query)
	for _, m := range e.Matches {
		dept := m.Department
		if dept == "" {
			dept = "未填部门"
		}
		fmt.Fprintf(&b, "\n· %s（%s，账号 %s）", m.Name, dept, m.UserID)
	}
	return b.String()
}

// UnknownMemberError means no member matched.
type UnknownMemberError struct{ Query string }

func (e *UnknownMemberError) Error() string {
	return fmt.Sprintf("找不到成员「%s」：请填写姓名或企业微信账号（userid），可用「成员 列表」查看。", e.Query)
}

// ResolveMember finds the one member that query names: an exact userid
// (case-insensitive, as WeCom treats them) first, else an exact name. No
// match is an *UnknownMemberError; several are an *AmbiguousError.
// Inactive members are only found by userid.
func ResolveMember(members []Member, query string) (Member, error) {
	q := strings.TrimSpace(query)
	for _, m := range members {
		if strings.EqualFold(m.UserID, q) {
			return m, nil
		}
	}
	var matches []Member
	for _, m := range members {
		if m.Active && m.Name == q {
			matches = append(matches, m)
		}
	}
	switch len(matches) {
	case 0:
		return Member{}, &UnknownMemberError{Query: q}
	case 1:
		return matches[0], nil
	}
	return Member{}, &AmbiguousError{Query: q, Matches: matches}
}
