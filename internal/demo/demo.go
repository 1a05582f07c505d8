// Package demo lets dutybot run with no WeCom account: a fake WeCom and
// fake APNs/FCM served in-process, fixed demo credentials, a generated
// office (members, a month of rosters, the holidays, a story shift starting
// minutes after start) and the simulator page at /demo/. Nothing here is
// used unless `dutybot demo` (or `serve --demo`) asks for it.
package demo

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"dutybot/bot/wecomtest"
	"dutybot/configs"
	"dutybot/roster"
)

// The demo app's credentials. They only ever talk to the in-process fake.
const (
	CorpID  = "wwdemo0000000000001"
	AgentID = 1000002
	Secret  = "demo-corp-secret"
	Token   = "DemoToken2026"
	AESKey  = "DutyBotDemoEncodingAESKey0123456789abcdefgh"
	// PathPrefix is where the fake WeCom API is mounted on the demo server.
	PathPrefix = "/demo/wecom"
)

// Member is one demo officer, leader or admin.
type Member struct {
	UserID, Name, Mobile, Department string
	Roles                            []roster.Role
}

// Office is the demo office's staff: seven officers (赵六 is also the
// admin), three leaders. 周七 is in the fake WeCom's address book but not
// here (see NewFake).
func Office() []Member {
	officer, leader := []roster.Role{roster.RoleOfficer}, []roster.Role{roster.RoleLeader}
	return []Member{
		{"zhangsan", "张三", "13800000001", "值班室", officer},
		{"lisi", "李四", "13800000002", "值班室", officer},
		{"wangwu", "王五", "13800000003", "办公厅", leader},
		{"zhaoliu", "赵六", "13800000004", "值班室", []roster.Role{roster.RoleAdmin, roster.RoleOfficer}},
		{"wuhao", "吴浩", "13800000005", "值班室", officer},
		{"sunqian", "孙倩", "13800000006", "值班室", officer},
		{"zhoujie", "周杰", "13800000007", "值班室", officer},
		{"zhengyu", "郑宇", "13800000008", "值班室", officer},
		{"chenjing", "陈静", "13800000009", "办公厅", leader},
		{"liuqiang", "刘强", "13800000010", "办公厅", leader},
	}
}

// Signer builds callbacks the demo server accepts when cfg has no WeCom
// settings of its own.
func Signer(cfg configs.Config) wecomtest.Signer {
	if cfg.WeComConfigured() {
		agent, _ := strconv.Atoi(cfg.WeCom.AgentID)
		return wecomtest.Signer{Token: cfg.WeCom.Token, EncodingAESKey: cfg.WeCom.AESKey, CorpID: cfg.WeCom.CorpID, AgentID: agent}
	}
	return wecomtest.Signer{Token: Token, EncodingAESKey: AESKey, CorpID: CorpID, AgentID: AgentID}
}

// BaseURL is the URL a client on this machine reaches a server listening on
// addr at ("127.0.0.1" stands in for an empty or wildcard host).
func BaseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Apply points cfg at the fake WeCom mounted on the server itself, fills
// in the demo credentials, makes zhaoliu an admin and shortens the duty
// timings so the story fits in minutes (see docs/demo.md). Only the demo
// calls it: production defaults are untouched.
func Apply(cfg *configs.Config) {
	cfg.WeCom.CorpID = CorpID
	cfg.WeCom.AgentID = strconv.Itoa(AgentID)
	cfg.WeCom.Secret = Secret
	cfg.WeCom.Token = Token
	cfg.WeCom.AESKey = AESKey
	cfg.WeCom.APIBase = BaseURL(cfg.HTTP.Addr) + PathPrefix
	// The in-process fake has no per-member limits to respect.
	cfg.WeCom.RateLimit = false
	cfg.Admins = append(cfg.Admins, "zhaoliu")
	// A 查岗 must be answered within a minute, and the phones are the
	// in-process fakes (see Start), not anything configured.
	cfg.Duty.SpotCheckAnswer = SpotCheckAnswer
	cfg.Push.APNs, cfg.Push.FCM = configs.APNs{}, configs.FCM{}
	if cfg.HTTP.PublicURL == "" {
		cfg.HTTP.PublicURL = BaseURL(cfg.HTTP.Addr)
	}
	// The console's login page lists the demo members (fake OAuth).
	cfg.Console.DemoLogin = true
}

// SeedRoster fills four weeks from yesterday by the rotations, unless that
// range already has assignments (a demo database that was used keeps what
// the visitor changed).
func SeedRoster(ctx context.Context, store roster.Store, settings roster.Settings, today roster.Date) error {
	from, to := today.AddDays(-1), today.AddDays(27)
	existing, err := store.Assignments(ctx, from, to)
	if err != nil || len(existing) > 0 || len(settings.Rotations) == 0 {
		return err
	}
	days, err := store.HolidayDays(ctx, from.AddDays(-1), to.AddDays(1))
	if err != nil {
		return err
	}
	cal := roster.NewCalendar(days, settings.SpecialPeriods)
	slots, as := roster.Generate(settings.Shifts, cal, settings.Groups, settings.Rotations, from, to)
	audit := roster.AuditEntry{Actor: "demo", Action: "排班 生成", Subject: from.String() + " 至 " + to.String()}
	if err := store.ReplaceSlots(ctx, slots, as, audit); err != nil {
		return fmt.Errorf("seed demo roster: %w", err)
	}
	return nil
}

// NewFake returns the fake WeCom for the demo, with the office in its
// address book.
func NewFake() *wecomtest.Fake {
	f := wecomtest.New(wecomtest.Config{CorpID: CorpID, Secret: Secret, AgentID: AgentID, PathPrefix: PathPrefix})
	// The departments match the seeded members', so 同步通讯录 in the demo
	// changes only what a real sync would: it adds 周七.
	deptIDs := map[string]int{"值班室": 2, "办公厅": 3}
	f.AddDepartment(wecomtest.Department{ID: 1, Name: "示范单位", ParentID: 0})
	f.AddDepartment(wecomtest.Department{ID: 2, Name: "值班室", ParentID: 1})
	f.AddDepartment(wecomtest.Department{ID: 3, Name: "办公厅", ParentID: 1})
	// 周七 is in the corp's address book but not on the duty roster, to show
	// what the bot tells people it does not know (until an admin syncs).
	f.AddUser(wecomtest.User{UserID: "zhouqi", Name: "周七", Department: []int{2}, Status: 1})
	for _, m := range Office() {
		f.AddUser(wecomtest.User{UserID: m.UserID, Name: m.Name, Mobile: m.Mobile, Department: []int{deptIDs[m.Department]}, Status: 1})
	}
	return f
}

// Seed stores the demo office's members.
func Seed(ctx context.Context, store roster.MemberStore) error {
	for _, m := range Office() {
		err := store.UpsertMember(ctx, roster.Member{
			UserID: m.UserID, Name: m.Name, Mobile: m.Mobile, Department: m.Department, Roles: m.Roles, Active: true,
		})
		if err != nil {
			return fmt.Errorf("seed demo member %s: %w", m.UserID, err)
		}
	}
	return nil
}
