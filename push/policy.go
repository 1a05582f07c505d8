package push

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"dutybot/roster"
)

// Channel is how a step reaches people.
type Channel string

// Channels.
const (
	ChannelWeCom Channel = "wecom" // WeCom app message (through the bot's outbox)
	ChannelPush  Channel = "push"  // APNs / FCM to every paired phone
)

// Target kinds.
const (
	TargetMember          = "member"           // one member by userid
	TargetRole            = "role"             // every active member with a role
	TargetLeaderOnDuty    = "leader_on_duty"   // the 带班领导 of the shifts in progress
	TargetOfficersOnDuty  = "officers_on_duty" // the officers of the shifts in progress
	TargetAdmins          = "admins"           // every active admin
	targetRolePrefix      = "role:"
	targetMemberPrefix    = "member:"
	defaultEscalationWait = 5 * time.Minute
)

// Target names who a step notifies: a kind and, for member and role, a value.
type Target struct {
	Kind  string
	Value string
}

// ParseTarget reads "leader_on_duty", "officers_on_duty", "admins",
// "role:leader" or "member:zhangsan".
func ParseTarget(s string) (Target, error) {
	switch s = strings.TrimSpace(s); {
	case s == TargetLeaderOnDuty, s == TargetOfficersOnDuty, s == TargetAdmins:
		return Target{Kind: s}, nil
	case strings.HasPrefix(s, targetRolePrefix):
		r, err := roster.ParseRole(strings.TrimPrefix(s, targetRolePrefix))
		if err != nil {
			return Target{}, err
		}
		return Target{Kind: TargetRole, Value: string(r)}, nil
	case strings.HasPrefix(s, targetMemberPrefix) && len(s) > len(targetMemberPrefix):
		return Target{Kind: TargetMember, Value: strings.TrimPrefix(s, targetMemberPrefix)}, nil
	}
	return Target{}, fmt.Errorf("target %q: want leader_on_duty, officers_on_duty, admins, role:<officer|leader|admin> or member:<userid>", s)
}

// Label is the target in Chinese, for 策略 查看.
func (t Target) Label() string {
	switch t.Kind {
	case TargetLeaderOnDuty:
		return "当班带班领导"
	case TargetOfficersOnDuty:
		return "当班值班员"
	case TargetAdmins:
		return "管理员"
	case TargetRole:
		return "全部" + roster.Role(t.Value).Label()
	}
	return t.Value
}

// Step is one stage of a policy: notify targets on channels, then wait for an
// acknowledgement before the next step.
type Step struct {
	Targets  []Target
	Channels []Channel
	Wait     time.Duration
}

// Policy is how an event kind escalates: its steps, how many times the whole
// sequence repeats when nobody acknowledges, and how loudly phones alert.
type Policy struct {
	Kind    string
	Urgency Urgency
	Steps   []Step
	Repeat  int
}

// Policies maps event kinds to their policy.
type Policies map[string]Policy

// Event kinds with built-in policies.
const (
	KindMissedCheckin = "missed_checkin" // 空岗: no check-in by start + grace
	KindSpotCheck     = "spot_check"     // 查岗 unanswered (脱岗)
	KindReport        = "report"         // 一般/较大 quick report
	KindReportMajor   = "report_major"   // 重大/特别重大 quick report
	KindInstruction   = "instruction"    // 批示 delivery
	KindTest          = "test"           // 测试告警 from the admin
	KindHandover      = "handover"       // 交接班: not handed over, or not confirmed, by the end of the handover window
	KindUnderstaffed  = "understaffed"   // a shift short of people 24 h ahead (缺人)
)

// DefaultPolicies are the built-in policies: reach the people on duty, then
// widen to every leader and the admins, and go round again.
func DefaultPolicies() Policies {
	onDuty := []Target{{Kind: TargetLeaderOnDuty}, {Kind: TargetAdmins}}
	leaders := []Target{{Kind: TargetRole, Value: string(roster.RoleLeader)}, {Kind: TargetAdmins}}
	both := []Channel{ChannelWeCom, ChannelPush}
	p := func(kind string, u Urgency, first, second time.Duration, repeat int) Policy {
		return Policy{Kind: kind, Urgency: u, Repeat: repeat, Steps: []Step{
			{Targets: onDuty, Channels: both, Wait: first},
			{Targets: leaders, Channels: both, Wait: second},
		}}
	}
	return Policies{
		KindMissedCheckin: p(KindMissedCheckin, TimeSensitive, 5*time.Minute, 10*time.Minute, 2),
		KindSpotCheck:     p(KindSpotCheck, TimeSensitive, 5*time.Minute, 10*time.Minute, 2),
		KindReport:        p(KindReport, TimeSensitive, 10*time.Minute, 20*time.Minute, 2),
		KindReportMajor:   p(KindReportMajor, Critical, 3*time.Minute, 5*time.Minute, 3),
		KindInstruction:   p(KindInstruction, TimeSensitive, 5*time.Minute, 10*time.Minute, 2),
		KindHandover:      p(KindHandover, TimeSensitive, 5*time.Minute, 10*time.Minute, 2),
		KindTest:          {Kind: KindTest, Urgency: TimeSensitive, Steps: []Step{{Targets: []Target{{Kind: TargetAdmins}}, Channels: both, Wait: 5 * time.Minute}}},
		// A day ahead there is time: the admins first, then every leader.
		KindUnderstaffed: {Kind: KindUnderstaffed, Urgency: TimeSensitive, Repeat: 1, Steps: []Step{
			{Targets: []Target{{Kind: TargetAdmins}}, Channels: both, Wait: 30 * time.Minute},
			{Targets: leaders, Channels: both, Wait: time.Hour},
		}},
	}
}

// Kinds lists the policy kinds in order.
func (ps Policies) Kinds() []string {
	kinds := make([]string, 0, len(ps))
	for k := range ps {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// MinWait is the shortest step wait a policy may have: shorter waits page
// people faster than they can answer.
const MinWait = 30 * time.Second

// Validate reports every problem with p.
func (p Policy) Validate() error { return p.validate(MinWait) }

func (p Policy) validate(minWait time.Duration) error {
	var errs []error
	if p.Urgency != Critical && p.Urgency != TimeSensitive {
		errs = append(errs, fmt.Errorf("urgency %q: want critical or time-sensitive", p.Urgency))
	}
	if len(p.Steps) == 0 {
		errs = append(errs, errors.New("no steps"))
	}
	if p.Repeat < 0 || p.Repeat > 10 {
		errs = append(errs, fmt.Errorf("repeat %d: want 0 to 10", p.Repeat))
	}
	for i, s := range p.Steps {
		if len(s.Targets) == 0 {
			errs = append(errs, fmt.Errorf("steps[%d]: no targets", i))
		}
		if len(s.Channels) == 0 {
			errs = append(errs, fmt.Errorf("steps[%d]: no channels (want wecom and/or push)", i))
		}
		for _, c := range s.Channels {
			if c != ChannelWeCom && c != ChannelPush {
				errs = append(errs, fmt.Errorf("steps[%d]: channel %q: want wecom or push", i, c))
			}
		}
		if s.Wait < minWait || s.Wait > 24*time.Hour {
			errs = append(errs, fmt.Errorf("steps[%d]: wait %v: want %v to 24h", i, s.Wait, minWait))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("policy %s: %w", p.Kind, err)
	}
	return nil
}

type policyFile struct {
	Policies map[string]struct {
		Urgency string `yaml:"urgency"`
		Repeat  int    `yaml:"repeat"`
		Steps   []struct {
			Targets  []string `yaml:"targets"`
			Channels []string `yaml:"channels"`
			Wait     string   `yaml:"wait"`
		} `yaml:"steps"`
	} `yaml:"policies"`
}

// LoadPolicies reads a policy file over the defaults: a kind in the file
// replaces the built-in policy of that kind, and new kinds are added.
func LoadPolicies(path string) (Policies, error) { return LoadPoliciesMinWait(path, MinWait) }

// LoadPoliciesMinWait is LoadPolicies accepting step waits down to minWait
// (at least a second): for end-to-end tests and load runs that cannot wait
// 30 s per step.
func LoadPoliciesMinWait(path string, minWait time.Duration) (Policies, error) {
	minWait = max(minWait, time.Second)
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("escalation policies: %w", err)
	}
	var f policyFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("escalation policies %s: %w", path, err)
	}
	ps := DefaultPolicies()
	var errs []error
	for kind, fp := range f.Policies {
		p := Policy{Kind: kind, Urgency: Urgency(fp.Urgency), Repeat: fp.Repeat}
		if p.Urgency == "" {
			p.Urgency = TimeSensitive
		}
		for i, fs := range fp.Steps {
			s := Step{Wait: defaultEscalationWait}
			for _, t := range fs.Targets {
				target, err := ParseTarget(t)
				if err != nil {
					errs = append(errs, fmt.Errorf("policy %s steps[%d]: %w", kind, i, err))
					continue
				}
				s.Targets = append(s.Targets, target)
			}
			for _, c := range fs.Channels {
				s.Channels = append(s.Channels, Channel(c))
			}
			if fs.Wait != "" {
				if s.Wait, err = time.ParseDuration(fs.Wait); err != nil {
					errs = append(errs, fmt.Errorf("policy %s steps[%d]: wait %q: want a duration such as 5m", kind, i, fs.Wait))
				}
			}
			p.Steps = append(p.Steps, s)
		}
		if err := p.validate(minWait); err != nil {
			errs = append(errs, err)
		}
		ps[kind] = p
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("escalation policies %s:\n%w", path, err)
	}
	return ps, nil
}

// Describe is the policy in Chinese, for 策略 查看.
func (p Policy) Describe() string {
	var b strings.Builder
	u := "限时提醒"
	if p.Urgency == Critical {
		u = "紧急（穿透静音）"
	}
	fmt.Fprintf(&b, "%s（%s，无人确认时整轮重复 %d 次）", p.Kind, u, p.Repeat)
	for i, s := range p.Steps {
		targets := make([]string, len(s.Targets))
		for j, t := range s.Targets {
			targets[j] = t.Label()
		}
		channels := make([]string, len(s.Channels))
		for j, c := range s.Channels {
			channels[j] = map[Channel]string{ChannelWeCom: "企业微信", ChannelPush: "手机推送"}[c]
		}
		fmt.Fprintf(&b, "\n  %d. 通知 %s（%s），等待 %s", i+1, strings.Join(targets, "、"), strings.Join(channels, "+"), s.Wait)
	}
	return b.String()
}

// String is the channel's name.
func (c Channel) String() string { return string(c) }
