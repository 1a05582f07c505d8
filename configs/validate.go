package configs

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Severity says whether a Problem stops dutybot from starting.
type Severity int

const (
	// Error is a problem that must be fixed before dutybot can start.
	Error Severity = iota
	// Warning is worth knowing about but does not stop dutybot.
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "Severity(" + strconv.Itoa(int(s)) + ")"
}

// Problem is one thing wrong with a configuration. Messages never contain
// the values of secret settings.
type Problem struct {
	Key      string // dotted file key such as "wecom.aes_key"; empty for whole-file problems
	Env      string // the DUTYBOT_* variable that sets Key, if any
	Line     int    // line in the config file, or 0
	Severity Severity
	Message  string // what is wrong and what would be accepted
}

// String formats p on one line, for example
//
//	error: wecom.aes_key (DUTYBOT_WECOM_AES_KEY, line 12): must be exactly 43 characters, got 40
//
// Parts that do not apply are left out.
func (p Problem) String() string {
	var where []string
	if p.Env != "" {
		where = append(where, p.Env)
	}
	if p.Line > 0 {
		where = append(where, "line "+strconv.Itoa(p.Line))
	}
	var b strings.Builder
	b.WriteString(p.Severity.String())
	b.WriteString(": ")
	switch {
	case p.Key != "" && len(where) > 0:
		fmt.Fprintf(&b, "%s (%s): ", p.Key, strings.Join(where, ", "))
	case p.Key != "":
		b.WriteString(p.Key + ": ")
	case len(where) > 0:
		b.WriteString(strings.Join(where, ", ") + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is a list of problems, in the order they were found.
type Problems []Problem

// Error returns every problem, one per line.
//
// Problems implements error so that a caller can return it as is; use Err
// rather than converting a possibly empty list to error directly.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// HasErrors reports whether any problem has Severity Error.
func (ps Problems) HasErrors() bool {
	for _, p := range ps {
		if p.Severity == Error {
			return true
		}
	}
	return false
}

// Err returns ps as an error if it has any Error, and nil otherwise.
func (ps Problems) Err() error {
	if !ps.HasErrors() {
		return nil
	}
	return ps
}

// WeComConfigured reports whether all five WeCom app settings (corp_id,
// agent_id, secret, token, aes_key) are set.
func (c Config) WeComConfigured() bool {
	w := c.WeCom
	return w.CorpID != "" && w.AgentID != "" && w.Secret != "" && w.Token != "" && w.AESKey != ""
}

// Validate checks c and returns every problem it finds. It does not know
// about files, so the problems it returns have no Line; Load adds them.
func Validate(c Config) Problems {
	v := validator{env: make(map[string]string)}
	for _, l := range leaves() {
		v.env[l.Key] = l.Env
	}
	v.httpAddr(c.HTTP.Addr)
	v.db(c.DB)
	v.timezone(c.Timezone)
	v.admins(c.Admins)
	v.logSettings(c.Log)
	v.wecomAPI(c.WeCom)
	v.wecomApp(c.WeCom)
	v.redisURL(c.Redis.URL)
	v.roster(c.Roster)
	v.push(c.Push)
	for _, check := range []func() error{
		func() error { _, err := c.Duty.DutySettings(); return err },
		func() error { _, err := c.Reports.IncidentSettings(); return err },
	} {
		if err := check(); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				key, msg, _ := strings.Cut(line, ": ")
				v.errorf(key, "%s", msg)
			}
		}
	}
	if u := c.HTTP.PublicURL; u != "" {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			v.errorf("http.public_url", "%q is not an http(s) URL such as https://duty.example.gov.cn", u)
		}
	}
	return v.problems
}

// validator collects problems for Validate.
type validator struct {
	env      map[string]string // file key → DUTYBOT_* variable
	problems Problems
}

func (v *validator) add(sev Severity, key, format string, args ...any) {
	v.problems = append(v.problems, Problem{
		Key:      key,
		Env:      v.env[key],
		Severity: sev,
		Message:  fmt.Sprintf(format, args...),
	})
}

func (v *validator) errorf(key, format string, args ...any) {
	v.add(Error, key, format, args...)
}

func (v *validator) httpAddr(addr string) {
	const key = "http.addr"
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		v.errorf(key, `must be host:port such as "127.0.0.1:8080" or ":8080", got %q (监听地址格式应为 主机:端口)`, addr)
		return
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		v.errorf(key, `port must be a number from 0 to 65535, such as "127.0.0.1:8080", got port %q (端口必须是数字)`, port)
	}
}

// db checks the database: a SQLite file path, or a PostgreSQL URL. A URL
// may hold a password, so no message shows any part of it.
func (v *validator) db(s string) {
	const key = "db"
	if strings.TrimSpace(s) == "" {
		v.errorf(key, `must not be empty; give the SQLite database file path, such as "./data/dutybot.db", `+
			`or a PostgreSQL URL, such as "postgres://dutybot:password@127.0.0.1:5432/dutybot?sslmode=disable" (数据库不能为空)`)
		return
	}
	if !strings.HasPrefix(s, "postgres://") && !strings.HasPrefix(s, "postgresql://") {
		return // a SQLite file path
	}
	const want = "use postgres://user:password@host:5432/database?sslmode=disable (or sslmode=require…) " +
		"(value not shown because it may contain a password; PostgreSQL 连接地址格式有误)"
	u, err := url.Parse(s)
	switch {
	case err != nil:
		v.errorf(key, "is not a valid URL; %s", want)
	case u.Host == "" || u.Hostname() == "":
		v.errorf(key, "has no host; %s", want)
	case strings.Trim(u.Path, "/") == "":
		v.errorf(key, "names no database (the path after the host); %s", want)
	default:
		if p := u.Port(); p != "" {
			if _, err := strconv.ParseUint(p, 10, 16); err != nil {
				v.errorf(key, "port must be a number from 0 to 65535; %s", want)
			}
		}
	}
}

func (v *validator) timezone(name string) {
	const key = "timezone"
	if name == "" {
		v.errorf(key, `must not be empty; give an IANA time zone name such as "Asia/Shanghai" (时区不能为空，一般填 Asia/Shanghai)`)
		return
	}
	if _, err := time.LoadLocation(name); err != nil {
		v.errorf(key, `unknown time zone %q; give an IANA time zone name such as "Asia/Shanghai" (时区名称无效)`, name)
	}
}

func (v *validator) admins(ids []string) {
	const key = "admins"
	for i, id := range ids {
		n := i + 1
		switch {
		case id == "":
			v.errorf(key, `entry %d is empty; each admin must be a WeCom userid such as "zhangsan" (管理员账号不能为空)`, n)
		case strings.IndexFunc(id, unicode.IsSpace) >= 0:
			v.errorf(key, `entry %d (%q) contains a space; each admin must be one WeCom userid such as "zhangsan", `+
				`listed separately (账号中不能有空格；通讯录 → 成员详情 → 账号)`, n, id)
		case strings.ContainsAny(id, ",，"):
			v.errorf(key, `entry %d (%q) contains a comma; list each admin's WeCom userid as a separate entry, `+
				`such as [zhangsan, lisi] (每个管理员单独一项)`, n, id)
		case len(id) > 64:
			v.errorf(key, `entry %d is %d bytes long; a WeCom userid is at most 64 bytes, such as "zhangsan"`, n, len(id))
		}
	}
}

func (v *validator) logSettings(l Log) {
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		v.errorf("log.level", `must be one of debug, info, warn, error; got %q (日志级别)`, l.Level)
	}
	switch l.Format {
	case "text", "json":
	default:
		v.errorf("log.format", `must be text or json; got %q (日志格式)`, l.Format)
	}
}

func (v *validator) wecomAPI(w WeCom) {
	const windowKey = "wecom.timestamp_window"
	switch {
	case w.TimestampWindow <= 0:
		v.errorf(windowKey, `must be greater than zero, such as "5m" or 300 (seconds); got %s (回调时间戳允许的误差)`, w.TimestampWindow)
	case w.TimestampWindow > time.Hour:
		v.errorf(windowKey, `must be at most 1h, such as "5m"; a longer window lets replayed callbacks through; got %s`, w.TimestampWindow)
	}

	const baseKey = "wecom.api_base"
	const want = `an absolute http:// or https:// URL such as "https://qyapi.weixin.qq.com" ` +
		`(政务微信 or private deployments: the address your operator gives you)`
	if w.APIBase == "" {
		v.errorf(baseKey, "must not be empty; give %s", want)
		return
	}
	u, err := url.Parse(w.APIBase)
	switch {
	case err != nil:
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		v.errorf(baseKey, "is not a valid URL (%v), got %q; give %s", err, w.APIBase, want)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		v.errorf(baseKey, "must be %s, got %q", want, w.APIBase)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		v.errorf(baseKey, `must not have a query ("?…") or fragment ("#…"); give only scheme, host and an optional path such as "https://qyapi.weixin.qq.com", got %q`, w.APIBase)
	}
}

// wecomHelp says where each WeCom app setting is found in the admin console.
func wecomHelp(key string) string {
	const app = "管理后台 → 应用管理 → 自建应用 → (your app)"
	switch key {
	case "wecom.corp_id":
		return "find 企业ID at the bottom of 管理后台 → 我的企业 → 企业信息"
	case "wecom.agent_id":
		return "find AgentId on " + app
	case "wecom.secret":
		return "view Secret on " + app + " (WeCom sends it to you as a message)"
	case "wecom.token":
		return "copy Token from " + app + " → 接收消息 → 设置API接收"
	case "wecom.aes_key":
		return "copy EncodingAESKey from " + app + " → 接收消息 → 设置API接收"
	}
	return ""
}

func (v *validator) wecomApp(w WeCom) {
	settings := []struct{ key, value string }{
		{"wecom.corp_id", w.CorpID},
		{"wecom.agent_id", w.AgentID},
		{"wecom.secret", w.Secret},
		{"wecom.token", w.Token},
		{"wecom.aes_key", w.AESKey},
	}
	set := 0
	for _, s := range settings {
		if s.value != "" {
			set++
		}
	}
	if set == 0 {
		v.add(Warning, "wecom",
			"WeCom is not configured (corp_id, agent_id, secret, token and aes_key are all empty): "+
				"the callback endpoint /wecom/callback will answer 503 and no WeCom messages are sent; "+
				"set all five to connect a WeCom app, or run `dutybot serve --demo` to try dutybot with a built-in fake WeCom "+
				"(未配置企业微信：回调接口返回 503；可用 dutybot serve --demo 体验内置的模拟企业微信)")
		return
	}
	for _, s := range settings {
		if s.value == "" {
			v.errorf(s.key, "is missing; other WeCom settings are set, so all five (corp_id, agent_id, secret, token, aes_key) are needed; %s (企业微信配置不完整)",
				wecomHelp(s.key))
		}
	}

	if w.CorpID != "" && strings.IndexFunc(w.CorpID, unicode.IsSpace) >= 0 {
		v.errorf("wecom.corp_id", "contains spaces or line breaks; %s and copy it again without them (企业ID 中不能有空格)", wecomHelp("wecom.corp_id"))
	}
	if w.AgentID != "" {
		if n, err := strconv.ParseInt(w.AgentID, 10, 64); err != nil || n <= 0 {
			v.errorf("wecom.agent_id", `must be a number such as 1000002, got %q; %s (AgentId 为数字)`, w.AgentID, wecomHelp("wecom.agent_id"))
		}
	}
	if w.Secret != "" && strings.IndexFunc(w.Secret, unicode.IsSpace) >= 0 {
		v.errorf("wecom.secret", "contains spaces or line breaks (value not shown; it is %d characters long); %s and copy it again without them (Secret 中不能有空格)",
			utf8.RuneCountInString(w.Secret), wecomHelp("wecom.secret"))
	}
	if w.Token != "" {
		v.token(w.Token)
	}
	if w.AESKey != "" {
		v.aesKey(w.AESKey)
	}
}

// token checks WeCom's rule for the callback Token: 3 to 32 English letters
// or digits.
func (v *validator) token(tok string) {
	const key = "wecom.token"
	if n := utf8.RuneCountInString(tok); n < 3 || n > 32 {
		v.errorf(key, "must be 3 to 32 letters or digits (WeCom's rule), got %s; %s (Token 为 3–32 位英文字母或数字)", characters(n), wecomHelp(key))
		return
	}
	for i, r := range []rune(tok) {
		if !isASCIILetterOrDigit(r) {
			v.errorf(key, "may contain only letters A–Z, a–z and digits 0–9 (WeCom's rule), but character %d is something else; %s (Token 只能含英文字母和数字)", i+1, wecomHelp(key))
			return
		}
	}
}

// aesKey checks the EncodingAESKey: 43 characters of standard base64 that,
// with "=" appended, decode to a 32-byte AES key.
func (v *validator) aesKey(k string) {
	const key = "wecom.aes_key"
	if n := utf8.RuneCountInString(k); n != 43 {
		v.errorf(key, "must be exactly 43 characters, got %d; %s (EncodingAESKey 应为 43 位)", n, wecomHelp(key))
		return
	}
	for i, r := range []rune(k) {
		if !isASCIILetterOrDigit(r) && r != '+' && r != '/' {
			v.errorf(key, "is not valid base64: character %d is not one of A–Z, a–z, 0–9, + or /; %s (EncodingAESKey 格式不正确)", i+1, wecomHelp(key))
			return
		}
	}
	raw, err := base64.StdEncoding.DecodeString(k + "=")
	if err != nil {
		v.errorf(key, "is not valid base64 (only A–Z, a–z, 0–9, + and / are allowed); %s (EncodingAESKey 格式不正确)", wecomHelp(key))
		return
	}
	if len(raw) != 32 {
		v.errorf(key, "must decode to a 32-byte AES key, got %d bytes; %s", len(raw), wecomHelp(key))
	}
}

// characters returns "1 character" or "n characters".
func characters(n int) string {
	if n == 1 {
		return "1 character"
	}
	return strconv.Itoa(n) + " characters"
}

func isASCIILetterOrDigit(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}

// roster checks the sync time and that the roster file exists (its content
// is checked by the roster package when dutybot loads it).
func (v *validator) roster(r Roster) {
	if r.SyncAt != "off" {
		var h, m int
		if n, err := fmt.Sscanf(r.SyncAt, "%d:%d", &h, &m); err != nil || n != 2 || h < 0 || h > 23 || m < 0 || m > 59 {
			v.errorf("roster.sync_at", "%q is not a time of day: want HH:MM such as 03:00, or off (不自动同步)", r.SyncAt)
		}
	}
	if r.File != "" {
		if _, err := os.Stat(r.File); err != nil {
			v.errorf("roster.file", "cannot read %q: %v; give the path of a roster rules file (see configs/roster.example.yaml) or leave it empty for the default shifts", r.File, err)
		}
	}
}

// push checks that each provider is either off or completely configured.
func (v *validator) push(p Push) {
	if p.Policies != "" {
		v.readable("push.policies", p.Policies)
	}
	a := p.APNs
	if a.KeyFile != "" || a.KeyID != "" || a.TeamID != "" || a.CertFile != "" || a.Topic != "" {
		switch {
		case a.KeyFile != "" && a.CertFile != "":
			v.errorf("push.apns.key_file", "give key_file (token auth) or cert_file (certificate auth), not both")
		case a.KeyFile != "":
			if a.KeyID == "" || a.TeamID == "" {
				v.errorf("push.apns.key_id", "token auth needs key_id and team_id beside key_file (Apple Developer → Keys)")
			}
			v.readable("push.apns.key_file", a.KeyFile)
		case a.CertFile != "":
			v.readable("push.apns.cert_file", a.CertFile)
		default:
			v.errorf("push.apns.key_file", "APNs is partly configured: set key_file, key_id and team_id (or cert_file), and topic; or none of them")
		}
		if a.Topic == "" {
			v.errorf("push.apns.topic", "set topic to the iOS app's bundle id (the apns-topic)")
		}
	}
	if a.Host != "" {
		if u, err := url.Parse(a.Host); err != nil || u.Scheme != "https" || u.Host == "" {
			v.errorf("push.apns.host", "%q is not an https:// URL; leave it empty to use Apple's hosts", a.Host)
		}
	}
	f := p.FCM
	if f.CredentialsFile != "" || f.ProjectID != "" {
		if f.CredentialsFile == "" || f.ProjectID == "" {
			v.errorf("push.fcm.credentials_file", "FCM needs both credentials_file (service-account JSON) and project_id, or neither")
		} else {
			v.readable("push.fcm.credentials_file", f.CredentialsFile)
		}
	}
	if f.Endpoint != "" {
		if u, err := url.Parse(f.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.errorf("push.fcm.endpoint", "%q is not an http(s) URL; leave it empty to use Google's endpoint", f.Endpoint)
		}
	}
}

// readable reports a file that cannot be read.
func (v *validator) readable(key, path string) {
	if _, err := os.Stat(path); err != nil {
		v.errorf(key, "cannot read %q: %v", path, err)
	}
}

// redisURL checks the optional Redis URL. The URL may hold a password, so no
// message shows any part of it.
func (v *validator) redisURL(s string) {
	const key = "redis.url"
	if s == "" {
		return
	}
	const want = "use redis://[:password@]host:port[/db], or rediss://… for TLS, or leave it empty to run without Redis " +
		"(value not shown because it may contain a password; Redis 可选，留空即不使用)"
	u, err := url.Parse(s)
	switch {
	case err != nil:
		v.errorf(key, "is not a valid URL; %s", want)
	case u.Scheme != "redis" && u.Scheme != "rediss":
		v.errorf(key, "must start with redis:// or rediss://; %s", want)
	case u.Host == "" || u.Hostname() == "":
		v.errorf(key, "has no host; %s", want)
	default:
		if p := u.Port(); p != "" {
			if _, err := strconv.ParseUint(p, 10, 16); err != nil {
				v.errorf(key, "port must be a number from 0 to 65535; %s", want)
				return
			}
		}
		if db := strings.Trim(u.Path, "/"); db != "" {
			if n, err := strconv.Atoi(db); err != nil || n < 0 {
				v.errorf(key, "database after the host must be a whole number such as /0 or /15; %s", want)
			}
		}
	}
}
