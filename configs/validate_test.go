package configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	testAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" // 43 characters, decodes to 32 bytes
	testToken  = "Tok3n"
)

// validConfig returns a configuration with no problems at all.
func validConfig() Config {
	c := Default()
	c.Admins = []string{"zhangsan", "li.si@example"}
	c.WeCom.CorpID = "ww0123456789abcdef"
	c.WeCom.AgentID = "1000002"
	c.WeCom.Secret = "app-secret"
	c.WeCom.Token = testToken
	c.WeCom.AESKey = testAESKey
	return c
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*Config)
		key     string   // "" means no problems at all
		sev     Severity // of the problem for key
		message string   // substring of its message
	}{
		{"valid", func(c *Config) {}, "", 0, ""},

		{"http.addr ok with empty host", func(c *Config) { c.HTTP.Addr = ":8080" }, "", 0, ""},
		{"http.addr ok with port 0", func(c *Config) { c.HTTP.Addr = "127.0.0.1:0" }, "", 0, ""},
		{"http.addr ok IPv6", func(c *Config) { c.HTTP.Addr = "[::1]:8080" }, "", 0, ""},
		{"http.addr no port", func(c *Config) { c.HTTP.Addr = "localhost" }, "http.addr", Error, `must be host:port such as "127.0.0.1:8080"`},
		{"http.addr empty", func(c *Config) { c.HTTP.Addr = "" }, "http.addr", Error, "must be host:port"},
		{"http.addr named port", func(c *Config) { c.HTTP.Addr = "localhost:http" }, "http.addr", Error, `port must be a number from 0 to 65535`},
		{"http.addr port too big", func(c *Config) { c.HTTP.Addr = ":70000" }, "http.addr", Error, `got port "70000"`},

		{"db empty", func(c *Config) { c.DB = "" }, "db", Error, "must not be empty"},
		{"db other path", func(c *Config) { c.DB = "/var/lib/dutybot/db.sqlite" }, "", 0, ""},
		{"db postgres", func(c *Config) { c.DB = "postgres://dutybot:pw@127.0.0.1:5432/dutybot?sslmode=disable" }, "", 0, ""},
		{"db postgresql", func(c *Config) { c.DB = "postgresql://dutybot@db.internal/duty" }, "", 0, ""},
		{"db postgres no host", func(c *Config) { c.DB = "postgres:///dutybot" }, "db", Error, "has no host"},
		{"db postgres no database", func(c *Config) { c.DB = "postgres://dutybot@db:5432/" }, "db", Error, "names no database"},
		{"db postgres bad port", func(c *Config) { c.DB = "postgres://dutybot@db:port/duty" }, "db", Error, "not a valid URL"},

		{"timezone other", func(c *Config) { c.Timezone = "Asia/Urumqi" }, "", 0, ""},
		{"timezone unknown", func(c *Config) { c.Timezone = "Asia/Beijing" }, "timezone", Error, `unknown time zone "Asia/Beijing"`},
		{"timezone empty", func(c *Config) { c.Timezone = "" }, "timezone", Error, "must not be empty"},

		{"admins none", func(c *Config) { c.Admins = nil }, "", 0, ""},
		{"admins empty entry", func(c *Config) { c.Admins = []string{"a", ""} }, "admins", Error, "entry 2 is empty"},
		{"admins space", func(c *Config) { c.Admins = []string{"zhang san"} }, "admins", Error, `entry 1 ("zhang san") contains a space`},
		{"admins comma", func(c *Config) { c.Admins = []string{"zhangsan，lisi"} }, "admins", Error, "contains a comma"},
		{"admins too long", func(c *Config) { c.Admins = []string{strings.Repeat("a", 65)} }, "admins", Error, "at most 64 bytes"},

		{"duty.geofence ok", func(c *Config) { c.Duty.Geofence = "39.9087, 116.3975, 200" }, "", 0, ""},
		{"duty.geofence two numbers", func(c *Config) { c.Duty.Geofence = "39.9,116.4" }, "duty.geofence", Error, "want latitude,longitude,radius in metres"},
		{"duty.geofence not numbers", func(c *Config) { c.Duty.Geofence = "北京,116.4,200" }, "duty.geofence", Error, "such as 39.9087,116.3975,200"},
		{"duty.geofence latitude", func(c *Config) { c.Duty.Geofence = "116.4,39.9,200" }, "duty.geofence", Error, "latitude must be -90..90"},
		{"duty.geofence radius", func(c *Config) { c.Duty.Geofence = "39.9,116.4,0" }, "duty.geofence", Error, "radius above 0"},
		{"duty.remind_evening_at off", func(c *Config) { c.Duty.RemindEveningAt = "off" }, "", 0, ""},
		{"duty.remind_evening_at bad", func(c *Config) { c.Duty.RemindEveningAt = "8pm" }, "duty.remind_evening_at", Error, "want HH:MM such as 20:00, or off"},
		{"duty.remind_before negative", func(c *Config) { c.Duty.RemindBefore = -time.Hour }, "duty.remind_before", Error, "must not be negative"},
		{"duty.spot_check_answer zero", func(c *Config) { c.Duty.SpotCheckAnswer = 0 }, "duty.spot_check_answer", Error, "above zero"},
		{"duty.spot_checks_per_night many", func(c *Config) { c.Duty.SpotChecksPerNight = 50 }, "duty.spot_checks_per_night", Error, "0 (off) to 10"},
		{"duty.spot_check_hours bad", func(c *Config) { c.Duty.SpotCheckHours = "22-6" }, "duty.spot_check_hours", Error, "want HH:MM-HH:MM"},
		{"duty.swap_approver bad", func(c *Config) { c.Duty.SwapApprover = "boss" }, "duty.swap_approver", Error, "want leader or admin"},

		{"reports.deadline_major zero", func(c *Config) { c.Reports.DeadlineMajor = 0 }, "reports.deadline_major", Error, "above zero"},
		{"reports.feedback_working_days zero", func(c *Config) { c.Reports.FeedbackWorkingDays = 0 }, "reports.feedback_working_days", Error, "want 1 to 30"},
		{"reports.bulletin_at off", func(c *Config) { c.Reports.BulletinAt = "off" }, "", 0, ""},
		{"reports.bulletin_at bad", func(c *Config) { c.Reports.BulletinAt = "早上8点" }, "reports.bulletin_at", Error, "want HH:MM such as 08:00, or off"},

		{"log.level each", func(c *Config) { c.Log.Level = "debug" }, "", 0, ""},
		{"log.level bad", func(c *Config) { c.Log.Level = "INFO" }, "log.level", Error, "must be one of debug, info, warn, error"},
		{"log.format json", func(c *Config) { c.Log.Format = "json" }, "", 0, ""},
		{"log.format bad", func(c *Config) { c.Log.Format = "logfmt" }, "log.format", Error, "must be text or json"},

		{"timestamp_window 1h", func(c *Config) { c.WeCom.TimestampWindow = time.Hour }, "", 0, ""},
		{"timestamp_window 1s", func(c *Config) { c.WeCom.TimestampWindow = time.Second }, "", 0, ""},
		{"timestamp_window zero", func(c *Config) { c.WeCom.TimestampWindow = 0 }, "wecom.timestamp_window", Error, "must be greater than zero"},
		{"timestamp_window negative", func(c *Config) { c.WeCom.TimestampWindow = -time.Minute }, "wecom.timestamp_window", Error, "must be greater than zero"},
		{"timestamp_window too long", func(c *Config) { c.WeCom.TimestampWindow = time.Hour + time.Second }, "wecom.timestamp_window", Error, "at most 1h"},

		{"api_base http with path", func(c *Config) { c.WeCom.APIBase = "http://127.0.0.1:9999/wecom/" }, "", 0, ""},
		{"api_base empty", func(c *Config) { c.WeCom.APIBase = "" }, "wecom.api_base", Error, "must not be empty"},
		{"api_base relative", func(c *Config) { c.WeCom.APIBase = "qyapi.weixin.qq.com" }, "wecom.api_base", Error, "absolute http:// or https:// URL"},
		{"api_base ftp", func(c *Config) { c.WeCom.APIBase = "ftp://qyapi.weixin.qq.com" }, "wecom.api_base", Error, "absolute http:// or https:// URL"},
		{"api_base query", func(c *Config) { c.WeCom.APIBase = "https://qyapi.weixin.qq.com?x=1" }, "wecom.api_base", Error, "must not have a query"},
		{"api_base unparsable", func(c *Config) { c.WeCom.APIBase = "https://host:port/" }, "wecom.api_base", Error, "is not a valid URL"},

		{"redis empty", func(c *Config) { c.Redis.URL = "" }, "", 0, ""},
		{"redis ok", func(c *Config) { c.Redis.URL = "redis://:pw@127.0.0.1:6379/15" }, "", 0, ""},
		{"rediss ok", func(c *Config) { c.Redis.URL = "rediss://user:pw@redis.example:6380" }, "", 0, ""},
		{"redis wrong scheme", func(c *Config) { c.Redis.URL = "http://127.0.0.1:6379" }, "redis.url", Error, "must start with redis:// or rediss://"},
		{"redis no scheme", func(c *Config) { c.Redis.URL = "127.0.0.1:6379" }, "redis.url", Error, "redis://"},
		{"redis no host", func(c *Config) { c.Redis.URL = "redis:///0" }, "redis.url", Error, "has no host"},
		{"redis bad port", func(c *Config) { c.Redis.URL = "redis://h:port/0" }, "redis.url", Error, "redis://"},
		{"redis bad db", func(c *Config) { c.Redis.URL = "redis://h:6379/zero" }, "redis.url", Error, "whole number"},

		{"wecom none", func(c *Config) { c.WeCom = Default().WeCom }, "wecom", Warning, "dutybot serve --demo"},
		{"wecom none says 503", func(c *Config) { c.WeCom = Default().WeCom }, "wecom", Warning, "503"},
		{"wecom corp_id missing", func(c *Config) { c.WeCom.CorpID = "" }, "wecom.corp_id", Error, "is missing; "},
		{"wecom agent_id missing", func(c *Config) { c.WeCom.AgentID = "" }, "wecom.agent_id", Error, "AgentId"},
		{"wecom secret missing", func(c *Config) { c.WeCom.Secret = "" }, "wecom.secret", Error, "is missing"},
		{"wecom token missing", func(c *Config) { c.WeCom.Token = "" }, "wecom.token", Error, "接收消息"},
		{"wecom aes_key missing", func(c *Config) { c.WeCom.AESKey = "" }, "wecom.aes_key", Error, "EncodingAESKey"},
		{"corp_id spaces", func(c *Config) { c.WeCom.CorpID = "ww01 23" }, "wecom.corp_id", Error, "contains spaces"},
		{"agent_id not numeric", func(c *Config) { c.WeCom.AgentID = "app1" }, "wecom.agent_id", Error, `must be a number such as 1000002, got "app1"`},
		{"agent_id negative", func(c *Config) { c.WeCom.AgentID = "-1" }, "wecom.agent_id", Error, "must be a number"},
		{"secret spaces", func(c *Config) { c.WeCom.Secret = "app-secret\n" }, "wecom.secret", Error, "11 characters long"},
		{"aes_key short", func(c *Config) { c.WeCom.AESKey = testAESKey[:40] }, "wecom.aes_key", Error, "must be exactly 43 characters, got 40"},
		{"aes_key long", func(c *Config) { c.WeCom.AESKey = testAESKey + "=" }, "wecom.aes_key", Error, "got 44"},
		{"aes_key not base64", func(c *Config) { c.WeCom.AESKey = testAESKey[:10] + "-" + testAESKey[11:] }, "wecom.aes_key", Error, "character 11 is not one of"},
		{"aes_key padded", func(c *Config) { c.WeCom.AESKey = testAESKey[:42] + "=" }, "wecom.aes_key", Error, "character 43 is not one of"},
		{"aes_key other valid", func(c *Config) { c.WeCom.AESKey = strings.Repeat("A", 43) }, "", 0, ""},
		{"token 3", func(c *Config) { c.WeCom.Token = "abc" }, "", 0, ""},
		{"token 32", func(c *Config) { c.WeCom.Token = strings.Repeat("Z9", 16) }, "", 0, ""},
		{"token short", func(c *Config) { c.WeCom.Token = "ab" }, "wecom.token", Error, "must be 3 to 32 letters or digits (WeCom's rule), got 2 characters"},
		{"token long", func(c *Config) { c.WeCom.Token = strings.Repeat("a", 33) }, "wecom.token", Error, "got 33 characters"},
		{"token symbol", func(c *Config) { c.WeCom.Token = "abc_def" }, "wecom.token", Error, "character 4 is something else"},
		{"token Chinese", func(c *Config) { c.WeCom.Token = "令牌令牌" }, "wecom.token", Error, "character 1 is something else"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.change(&c)
			problems := Validate(c)
			if tt.key == "" {
				if len(problems) != 0 {
					t.Errorf("want no problems, got:\n%v", problems)
				}
				return
			}
			p, ok := find(problems, tt.key)
			if !ok {
				t.Fatalf("want a problem for %s, got:\n%v", tt.key, problems)
			}
			if p.Severity != tt.sev || !strings.Contains(p.Message, tt.message) {
				t.Errorf("got %v\nwant %v containing %q", p, tt.sev, tt.message)
			}
			if len(problems) != 1 {
				t.Errorf("want one problem, got:\n%v", problems)
			}
		})
	}
}

func TestValidateWeComPartlySet(t *testing.T) {
	c := Default()
	c.WeCom.Token = "abc"
	problems := Validate(c)
	var keys []string
	for _, p := range problems {
		if p.Severity != Error || !strings.Contains(p.Message, "is missing") {
			t.Errorf("unexpected problem %v", p)
		}
		keys = append(keys, p.Key)
	}
	want := []string{"wecom.corp_id", "wecom.agent_id", "wecom.secret", "wecom.aes_key"}
	if strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Errorf("problems for %v, want %v", keys, want)
	}
}

func TestValidateEnvNames(t *testing.T) {
	c := validConfig()
	c.WeCom.AESKey = "short"
	p, ok := find(Validate(c), "wecom.aes_key")
	if !ok || p.Env != "DUTYBOT_WECOM_AES_KEY" {
		t.Errorf("got %v, want Env DUTYBOT_WECOM_AES_KEY", p)
	}
}

func TestWeComConfigured(t *testing.T) {
	if Default().WeComConfigured() {
		t.Error("Default().WeComConfigured() = true")
	}
	if !validConfig().WeComConfigured() {
		t.Error("validConfig().WeComConfigured() = false")
	}
	c := validConfig()
	c.WeCom.Secret = ""
	if c.WeComConfigured() {
		t.Error("WeComConfigured() = true without secret")
	}
}

// TestSecretsNeverShown breaks every setting that holds a secret in every
// way we know, through Validate, the file and the environment, and checks
// that the secret appears in no problem.
func TestSecretsNeverShown(t *testing.T) {
	const s = "Zq9SECRETzq9" // distinctive, and letters/digits like a real token
	configs := map[string]func(*Config){
		"aes_key short":       func(c *Config) { c.WeCom.AESKey = s },
		"aes_key not base64":  func(c *Config) { c.WeCom.AESKey = s + "!" + strings.Repeat("A", 43-len(s)-1) },
		"token too long":      func(c *Config) { c.WeCom.Token = strings.Repeat(s, 3) },
		"token symbols":       func(c *Config) { c.WeCom.Token = s + "!" },
		"token short":         func(c *Config) { c.WeCom.Token = s[:2] },
		"secret spaces":       func(c *Config) { c.WeCom.Secret = " " + s + " " },
		"secret alone":        func(c *Config) { c.WeCom = Default().WeCom; c.WeCom.Secret = s },
		"redis wrong scheme":  func(c *Config) { c.Redis.URL = "http://:" + s + "@h:6379" },
		"redis no scheme":     func(c *Config) { c.Redis.URL = "user:" + s + "@h:6379" },
		"redis bad port":      func(c *Config) { c.Redis.URL = "redis://:" + s + "@h:po" + s + "rt/0" },
		"redis bad db":        func(c *Config) { c.Redis.URL = "redis://:" + s + "@h:6379/" + s },
		"redis no host":       func(c *Config) { c.Redis.URL = "redis://:" + s + "@/0" },
		"redis bad escape":    func(c *Config) { c.Redis.URL = "redis://:" + s + "%zz@h:6379/0" },
		"redis control chars": func(c *Config) { c.Redis.URL = "redis://:" + s + "\x7f@h/0" },
		"postgres bad escape": func(c *Config) { c.DB = "postgres://dutybot:" + s + "%zz@h:5432/duty" },
		"postgres no host":    func(c *Config) { c.DB = "postgres://dutybot:" + s + "@/duty" },
		"postgres no db":      func(c *Config) { c.DB = "postgres://dutybot:" + s + "@h:5432" },
		"postgres bad port":   func(c *Config) { c.DB = "postgres://dutybot:" + s + "@h:5" + s + "/duty" },
	}
	check := func(name string, problems Problems) {
		t.Helper()
		if len(problems) == 0 {
			t.Errorf("%s: no problems; the test does not break anything", name)
		}
		for _, p := range problems {
			if strings.Contains(p.String(), s) || strings.Contains(p.String(), s[:6]) {
				t.Errorf("%s: secret shown in %q", name, p)
			}
		}
		if strings.Contains(problems.Error(), s) {
			t.Errorf("%s: secret shown in Problems.Error()", name)
		}
	}
	for name, change := range configs {
		c := validConfig()
		change(&c)
		check(name, Validate(c))
	}

	// Through the file: type errors and validation errors.
	files := map[string]string{
		"file secret list":    "wecom:\n  secret: [" + s + "]\n",
		"file token group":    "wecom:\n  token:\n    " + s + ": 1\n",
		"file token bad":      "wecom:\n  token: " + s + "-" + s + "\n",
		"file aes_key bad":    "wecom:\n  aes_key: " + s + "\n",
		"file redis bad":      "redis:\n  url: http://:" + s + "@h\n",
		"file unknown secret": "wecom:\n  secrett: " + s + "\n",
		"file syntax":         "wecom:\n  secret: \"" + s + "\n  token: x\n",
	}
	for name, content := range files {
		_, problems := Load(writeFile(t, content), nil)
		check(name, problems)
	}

	// Through the environment.
	envs := map[string]map[string]string{
		"env token":   {"DUTYBOT_WECOM_TOKEN": s + "_"},
		"env aes_key": {"DUTYBOT_WECOM_AES_KEY": s},
		"env redis":   {"DUTYBOT_REDIS_URL": "tcp://:" + s + "@h"},
	}
	for name, env := range envs {
		_, problems := Load("", envMap(env))
		check(name, problems)
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{Key: "wecom.aes_key", Env: "DUTYBOT_WECOM_AES_KEY", Line: 12, Message: "must be exactly 43 characters, got 40"},
			"error: wecom.aes_key (DUTYBOT_WECOM_AES_KEY, line 12): must be exactly 43 characters, got 40"},
		{Problem{Key: "db", Env: "DUTYBOT_DB", Message: "m"}, "error: db (DUTYBOT_DB): m"},
		{Problem{Key: "wecom.corpid", Line: 7, Message: "m"}, "error: wecom.corpid (line 7): m"},
		{Problem{Key: "wecom", Severity: Warning, Message: "m"}, "warning: wecom: m"},
		{Problem{Line: 3, Message: "m"}, "error: line 3: m"},
		{Problem{Message: "m"}, "error: m"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
}

func TestProblems(t *testing.T) {
	var none Problems
	if none.HasErrors() || none.Err() != nil || none.Error() != "" {
		t.Errorf("empty Problems: HasErrors %v, Err %v, Error %q", none.HasErrors(), none.Err(), none.Error())
	}
	warn := Problems{{Key: "wecom", Severity: Warning, Message: "w"}}
	if warn.HasErrors() || warn.Err() != nil {
		t.Errorf("warnings only: HasErrors %v, Err %v", warn.HasErrors(), warn.Err())
	}
	both := append(warn, Problem{Key: "db", Message: "e"})
	if !both.HasErrors() || both.Err() == nil {
		t.Errorf("with an error: HasErrors %v, Err %v", both.HasErrors(), both.Err())
	}
	if got, want := both.Error(), "warning: wecom: w\nerror: db: e"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if Severity(7).String() != "Severity(7)" {
		t.Errorf("Severity(7).String() = %q", Severity(7).String())
	}
}

func TestValidatePush(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "AuthKey.p8")
	if err := os.WriteFile(key, []byte("not checked here"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		push Push
		want string // "" for no problem
	}{
		{"off", Push{}, ""},
		{"token auth", Push{APNs: APNs{KeyFile: key, KeyID: "ABC123DEFG", TeamID: "TEAM123456", Topic: "cn.gov.duty"}}, ""},
		{"token auth without ids", Push{APNs: APNs{KeyFile: key, Topic: "cn.gov.duty"}}, "push.apns.key_id"},
		{"missing key file", Push{APNs: APNs{KeyFile: filepath.Join(dir, "none.p8"), KeyID: "k", TeamID: "t", Topic: "x"}}, "cannot read"},
		{"no topic", Push{APNs: APNs{KeyFile: key, KeyID: "k", TeamID: "t"}}, "push.apns.topic"},
		{"both auths", Push{APNs: APNs{KeyFile: key, CertFile: key, KeyID: "k", TeamID: "t", Topic: "x"}}, "not both"},
		{"partial", Push{APNs: APNs{Topic: "x"}}, "partly configured"},
		{"bad host", Push{APNs: APNs{Host: "http://apns"}}, "https://"},
		{"fcm half", Push{FCM: FCM{ProjectID: "p"}}, "both credentials_file"},
		{"fcm ok", Push{FCM: FCM{ProjectID: "p", CredentialsFile: key}}, ""},
		{"fcm bad endpoint", Push{FCM: FCM{Endpoint: "ftp://x"}}, "http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Push = tt.push
			var got []string
			for _, p := range Validate(c) {
				if strings.HasPrefix(p.Key, "push.") {
					got = append(got, p.String())
				}
			}
			if tt.want == "" && len(got) > 0 {
				t.Fatalf("unexpected problems: %v", got)
			}
			if tt.want != "" && !strings.Contains(strings.Join(got, "\n"), tt.want) {
				t.Fatalf("problems %v lack %q", got, tt.want)
			}
		})
	}
}
