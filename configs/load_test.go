package configs

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// envMap returns a lookupEnv that reads m.
func envMap(m map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// writeFile writes content to a file in a temporary directory and returns
// its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dutybot.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// errorsOf returns the problems with Severity Error.
func errorsOf(ps Problems) Problems {
	var out Problems
	for _, p := range ps {
		if p.Severity == Error {
			out = append(out, p)
		}
	}
	return out
}

// find returns the first problem with the given key.
func find(ps Problems, key string) (Problem, bool) {
	for _, p := range ps {
		if p.Key == key {
			return p, true
		}
	}
	return Problem{}, false
}

func TestLoadDefaults(t *testing.T) {
	for _, env := range []func(string) (string, bool){nil, envMap(nil)} {
		c, problems := Load("", env)
		if !reflect.DeepEqual(c, Default()) {
			t.Errorf("Load with nothing set = %+v, want Default() %+v", c, Default())
		}
		if problems.HasErrors() {
			t.Errorf("Load with nothing set has errors:\n%v", problems)
		}
		if len(problems) != 1 || problems[0].Key != "wecom" || problems[0].Severity != Warning {
			t.Errorf("Load with nothing set: want exactly the WeCom warning, got:\n%v", problems)
		}
	}
}

func TestLoadEnvOverrides(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		got  func(Config) any
		want any
	}{
		{"string", map[string]string{"DUTYBOT_DB": "/var/lib/dutybot.db"},
			func(c Config) any { return c.DB }, "/var/lib/dutybot.db"},
		{"nested string", map[string]string{"DUTYBOT_LOG_LEVEL": "debug"},
			func(c Config) any { return c.Log.Level }, "debug"},
		{"string trimmed", map[string]string{"DUTYBOT_HTTP_ADDR": "  :9090\n"},
			func(c Config) any { return c.HTTP.Addr }, ":9090"},
		{"blank is ignored", map[string]string{"DUTYBOT_DB": "  "},
			func(c Config) any { return c.DB }, Default().DB},
		{"list", map[string]string{"DUTYBOT_ADMINS": "zhangsan"},
			func(c Config) any { return c.Admins }, []string{"zhangsan"}},
		{"list trimmed, empty items dropped", map[string]string{"DUTYBOT_ADMINS": " zhangsan, lisi,,wangwu , "},
			func(c Config) any { return c.Admins }, []string{"zhangsan", "lisi", "wangwu"}},
		{"duration Go form", map[string]string{"DUTYBOT_WECOM_TIMESTAMP_WINDOW": "90s"},
			func(c Config) any { return c.WeCom.TimestampWindow }, 90 * time.Second},
		{"duration compound", map[string]string{"DUTYBOT_WECOM_TIMESTAMP_WINDOW": "1m30s"},
			func(c Config) any { return c.WeCom.TimestampWindow }, 90 * time.Second},
		{"duration seconds", map[string]string{"DUTYBOT_WECOM_TIMESTAMP_WINDOW": "120"},
			func(c Config) any { return c.WeCom.TimestampWindow }, 2 * time.Minute},
		{"unrelated variables ignored", map[string]string{"DUTYBOT_NOPE": "x", "DB": "y"},
			func(c Config) any { return c.DB }, Default().DB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, problems := Load("", envMap(tt.env))
			if got := tt.got(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
			if problems.HasErrors() {
				t.Errorf("unexpected errors:\n%v", problems)
			}
		})
	}
}

// TestEveryFieldHasEnv checks that every setting has a unique DUTYBOT_*
// variable of a supported type, and that setting it through the
// environment changes the setting. A field added to Config without an env
// tag, or of a type Load cannot read, fails here.
func TestEveryFieldHasEnv(t *testing.T) {
	seen := make(map[string]string)
	for _, l := range leaves() {
		if !strings.HasPrefix(l.Env, "DUTYBOT_") {
			t.Errorf("%s: env tag %q, want DUTYBOT_*", l.Key, l.Env)
			continue
		}
		if other, dup := seen[l.Env]; dup {
			t.Errorf("%s and %s both use %s", other, l.Key, l.Env)
		}
		seen[l.Env] = l.Key
		if strings.Contains(want(l.Type), "bug in dutybot") {
			t.Errorf("%s: unsupported type %s", l.Key, l.Type)
			continue
		}

		var text string
		var wantValue any
		switch {
		case l.Type == reflect.TypeFor[time.Duration]():
			text, wantValue = "17s", 17*time.Second
		case l.Type.Kind() == reflect.String:
			text, wantValue = "value-17", "value-17"
		case l.Type.Kind() == reflect.Slice:
			text, wantValue = "a,b", []string{"a", "b"}
		case l.Type.Kind() == reflect.Bool:
			text, wantValue = "true", true
		case isInt(l.Type.Kind()):
			text, wantValue = "17", reflect.ValueOf(17).Convert(l.Type).Interface()
		}
		c, _ := Load("", envMap(map[string]string{l.Env: text}))
		got := reflect.ValueOf(c).FieldByIndex(l.Index).Interface()
		if !reflect.DeepEqual(got, wantValue) {
			t.Errorf("%s=%q: %s = %#v, want %#v", l.Env, text, l.Key, got, wantValue)
		}
	}
}

func TestLoadEnvErrors(t *testing.T) {
	tests := []struct {
		env     string
		value   string
		key     string
		message string
	}{
		{"DUTYBOT_WECOM_TIMESTAMP_WINDOW", "five minutes", "wecom.timestamp_window", `got "five minutes"`},
		{"DUTYBOT_WECOM_TIMESTAMP_WINDOW", "1.5", "wecom.timestamp_window", `whole number of seconds`},
		{"DUTYBOT_WECOM_TIMESTAMP_WINDOW", "99999999999999999", "wecom.timestamp_window", `a duration`},
	}
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.value, func(t *testing.T) {
			c, problems := Load("", envMap(map[string]string{tt.env: tt.value}))
			p, ok := find(problems, tt.key)
			if !ok {
				t.Fatalf("no problem for %s; got:\n%v", tt.key, problems)
			}
			if p.Env != tt.env || p.Line != 0 || p.Severity != Error || !strings.Contains(p.Message, tt.message) {
				t.Errorf("got %v; want an error naming %s and containing %q", p, tt.env, tt.message)
			}
			if c.WeCom.TimestampWindow != Default().WeCom.TimestampWindow {
				t.Errorf("bad value changed the setting to %v", c.WeCom.TimestampWindow)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	path := writeFile(t, `
http:
  addr: ":9000"
db: /srv/dutybot.db
admins: [zhangsan, lisi]
wecom:
  timestamp_window: 300
  agent_id: 1000002   # unquoted number read as text
redis:
  url:                # empty keeps the default
log:
  level: warn
  format: json
`)
	c, problems := Load(path, nil)
	want := Default()
	want.HTTP.Addr = ":9000"
	want.DB = "/srv/dutybot.db"
	want.Admins = []string{"zhangsan", "lisi"}
	want.WeCom.TimestampWindow = 5 * time.Minute
	want.WeCom.AgentID = "1000002"
	want.Log = Log{Level: "warn", Format: "json"}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
	// agent_id alone makes WeCom partly configured.
	for _, p := range errorsOf(problems) {
		if !strings.HasPrefix(p.Key, "wecom.") || !strings.Contains(p.Message, "is missing") {
			t.Errorf("unexpected problem: %v", p)
		}
	}
}

func TestLoadFileThenEnv(t *testing.T) {
	path := writeFile(t, `db: from-file.db
timezone: Asia/Tokyo
admins: [fileadmin]
wecom:
  timestamp_window: 10m
log:
  level: warn
`)
	c, problems := Load(path, envMap(map[string]string{
		"DUTYBOT_DB":                     "from-env.db",
		"DUTYBOT_ADMINS":                 "envadmin",
		"DUTYBOT_WECOM_TIMESTAMP_WINDOW": "60",
	}))
	if problems.HasErrors() {
		t.Fatalf("unexpected errors:\n%v", problems)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"db: env wins", c.DB, "from-env.db"},
		{"admins: env wins", c.Admins, []string{"envadmin"}},
		{"timestamp_window: env wins", c.WeCom.TimestampWindow, time.Minute},
		{"timezone: file over default", c.Timezone, "Asia/Tokyo"},
		{"log.level: file over default", c.Log.Level, "warn"},
		{"log.format: default", c.Log.Format, "text"},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.name, tt.got, tt.want)
		}
	}
}

func TestLoadFileProblems(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		key     string
		line    int
		message string // substring
	}{
		{"unknown nested key", "db: x.db\nwecom:\n  corpid: ww1\n", "wecom.corpid", 3, "did you mean wecom.corp_id?"},
		{"unknown key, case", "DB: x.db\n", "DB", 1, "did you mean db?"},
		{"unknown key, typo", "log:\n  levle: info\n", "log.levle", 2, "did you mean log.level?"},
		{"unknown key in wrong place", "corp_id: ww1\n", "corp_id", 1, "did you mean wecom.corp_id?"},
		{"unknown key flattened", "http_addr: ':80'\n", "http_addr", 1, "did you mean http.addr?"},
		{"unknown key lists allowed keys", "log:\n  colour: true\n", "log.colour", 2, "Keys allowed under log: level, format"},
		{"unknown top-level key", "\n\nwechat:\n  corp_id: x\n", "wechat", 3, "Keys allowed at the top level: http, db,"},
		{"duration type error", "wecom:\n  api_base: https://x.example\n  timestamp_window: five\n", "wecom.timestamp_window", 3, `got "five"`},
		{"duration float", "wecom:\n  timestamp_window: 1.5\n", "wecom.timestamp_window", 2, `whole number of seconds`},
		{"string given a list", "db:\n  - a\n  - b\n", "db", 2, "must be a single value, got a list"},
		{"list given a value", "admins: zhangsan\n", "admins", 1, "must be a list such as [zhangsan, lisi]"},
		{"list of lists", "admins:\n  - ok\n  - [a, b]\n", "admins", 3, "list entries must be single values"},
		{"group given a value", "log: debug\n", "log", 1, "must be a group of keys (level, format)"},
		{"duplicate key", "db: a\ndb: b\n", "db", 2, "more than once (first at line 1)"},
		{"syntax error", "db: a\nlog: info\n  level: info\n", "", 3, "not valid YAML"},
		{"tab indentation", "log:\n\tlevel: info\n", "", 2, "not valid YAML"},
		{"not a mapping", "- a\n- b\n", "", 1, "must be a set of keys"},
		{"validation gets file line", "\nlog:\n  format: xml\n", "log.format", 3, `must be text or json; got "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := Load(writeFile(t, tt.file), nil)
			for _, p := range errorsOf(problems) {
				if p.Key == tt.key && p.Line == tt.line && strings.Contains(p.Message, tt.message) {
					return
				}
			}
			t.Errorf("want an error for key %q at line %d containing %q; got:\n%v", tt.key, tt.line, tt.message, problems)
		})
	}
}

func TestLoadFileAllProblemsAtOnce(t *testing.T) {
	path := writeFile(t, "db: ''\nlog:\n  level: loud\n  colour: yes\nwecom:\n  timestamp_window: soon\n")
	_, problems := Load(path, envMap(map[string]string{"DUTYBOT_HTTP_ADDR": "nope"}))
	for _, key := range []string{"db", "log.level", "log.colour", "wecom.timestamp_window", "http.addr"} {
		if _, ok := find(problems, key); !ok {
			t.Errorf("no problem for %s; got:\n%v", key, problems)
		}
	}
}

func TestLoadLineDroppedWhenEnvOverrides(t *testing.T) {
	path := writeFile(t, "log:\n  level: info\n")
	_, problems := Load(path, envMap(map[string]string{"DUTYBOT_LOG_LEVEL": "verbose"}))
	p, ok := find(problems, "log.level")
	if !ok {
		t.Fatalf("no problem for log.level; got:\n%v", problems)
	}
	if p.Line != 0 || p.Env != "DUTYBOT_LOG_LEVEL" {
		t.Errorf("got %v; want Env DUTYBOT_LOG_LEVEL and no line, since the file's value is not in effect", p)
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	c, problems := Load(path, envMap(map[string]string{"DUTYBOT_DB": "env.db"}))
	if !problems.HasErrors() {
		t.Fatal("missing file: no error")
	}
	if p := problems[0]; p.Severity != Error || !strings.Contains(p.Message, "not found") || !strings.Contains(p.Message, path) {
		t.Errorf("missing file: got %v", p)
	}
	if c.DB != "env.db" {
		t.Errorf("environment not applied after missing file: db = %q", c.DB)
	}
}

func TestLoadEmptyFile(t *testing.T) {
	for _, content := range []string{"", "# only a comment\n", "---\n"} {
		c, problems := Load(writeFile(t, content), nil)
		if !reflect.DeepEqual(c, Default()) || problems.HasErrors() {
			t.Errorf("file %q: got %+v with problems:\n%v", content, c, problems)
		}
	}
}

func TestLoadAliases(t *testing.T) {
	path := writeFile(t, "admins: &a [zhangsan]\nhttp:\n  addr: &addr ':9000'\nlog:\n  level: info\n")
	c, problems := Load(path, nil)
	if problems.HasErrors() || c.HTTP.Addr != ":9000" {
		t.Errorf("got %+v with problems:\n%v", c, problems)
	}
}

func TestExampleFile(t *testing.T) {
	const path = "dutybot.example.yaml"
	c, problems := Load(path, nil)
	if problems.HasErrors() {
		t.Fatalf("%s has errors:\n%v", path, problems)
	}
	if len(problems) != 0 {
		t.Errorf("%s has warnings:\n%v", path, problems)
	}
	if !c.WeComConfigured() {
		t.Errorf("%s: WeCom not configured", path)
	}

	// Every key is in the example.
	lines := make(map[string]int)
	var scratch Config
	if ps := loadFile(path, &scratch, lines); len(ps) != 0 {
		t.Fatalf("loadFile: %v", ps)
	}
	for _, l := range leaves() {
		if lines[l.Key] == 0 {
			t.Errorf("%s does not set %s", path, l.Key)
		}
	}
	// and documents its environment variable.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leaves() {
		if !strings.Contains(string(data), l.Env) {
			t.Errorf("%s does not mention %s", path, l.Env)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"5m", 5 * time.Minute, false},
		{"1h30m", 90 * time.Minute, false},
		{"300", 5 * time.Minute, false},
		{" 60 ", time.Minute, false},
		{"0", 0, false},
		{"-5", -5 * time.Second, false},
		{"", 0, true},
		{"5 minutes", 0, true},
		{"1.5", 0, true},
		{"99999999999999999", 0, true},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestSetTextInt covers int settings, which Config has none of yet.
func TestSetTextInt(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"42", 42, false},
		{" -3 ", -3, false},
		{"4.2", 0, true},
		{"many", 0, true},
	}
	for _, tt := range tests {
		var n int
		err := setText(reflect.ValueOf(&n).Elem(), tt.in)
		if n != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("setText(int, %q) = %d, %v; want %d, error %v", tt.in, n, err, tt.want, tt.wantErr)
		}
	}
	// And through the file decoder, with a line.
	var s struct {
		N int `yaml:"n"`
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("\nn: lots\n"), &doc); err != nil {
		t.Fatal(err)
	}
	d := fileDecoder{lines: make(map[string]int)}
	d.mapping(doc.Content[0], reflect.ValueOf(&s).Elem(), "")
	if len(d.problems) != 1 || d.problems[0].Line != 2 || !strings.Contains(d.problems[0].Message, "whole number") {
		t.Errorf("int type error: got %v", d.problems)
	}
}

func TestLocation(t *testing.T) {
	tests := []struct {
		tz      string
		wantErr bool
	}{
		{"Asia/Shanghai", false},
		{"UTC", false},
		{"Asia/Beijing", true},
		{"", true},
	}
	for _, tt := range tests {
		c := Default()
		c.Timezone = tt.tz
		loc, err := c.Location()
		if (err != nil) != tt.wantErr {
			t.Errorf("Location(%q) error = %v, want error %v", tt.tz, err, tt.wantErr)
		}
		if err == nil && loc.String() != tt.tz {
			t.Errorf("Location(%q) = %v", tt.tz, loc)
		}
	}
}

func TestSuggest(t *testing.T) {
	wecom := reflect.TypeFor[WeCom]()
	top := reflect.TypeFor[Config]()
	tests := []struct {
		key, name string
		t         reflect.Type
		want      string
	}{
		{"wecom.corpid", "corpid", wecom, "wecom.corp_id"},
		{"wecom.CorpID", "CorpID", wecom, "wecom.corp_id"},
		{"wecom.aeskey", "aeskey", wecom, "wecom.aes_key"},
		{"wecom.encoding_aes_key", "encoding_aes_key", wecom, "wecom.aes_key"},
		{"wecom.wecom_corp_id", "wecom_corp_id", wecom, "wecom.corp_id"},
		{"wecom.xyz", "xyz", wecom, ""},
		{"wecom.redis_url", "redis_url", wecom, "redis.url"},
		{"level", "level", top, "log.level"},
		{"timezon", "timezon", top, "timezone"},
		{"colour", "colour", top, ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.key, tt.name, tt.t); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestLeavesOrder(t *testing.T) {
	var keys []string
	for _, l := range leaves() {
		keys = append(keys, l.Key)
	}
	want := []string{
		"http.addr", "http.public_url", "db", "timezone", "admins",
		"wecom.corp_id", "wecom.agent_id", "wecom.secret", "wecom.token", "wecom.aes_key",
		"wecom.api_base", "wecom.rate_limit", "wecom.timestamp_window", "redis.url", "redis.prefix", "roster.file", "roster.sync_at",
		"push.policies", "push.ack_key_file", "push.min_wait", "push.apns.key_file", "push.apns.key_id", "push.apns.team_id", "push.apns.cert_file", "push.apns.cert_password",
		"push.apns.topic", "push.apns.production", "push.apns.host",
		"push.fcm.credentials_file", "push.fcm.project_id", "push.fcm.endpoint",
		"duty.geofence", "duty.remind_evening_at", "duty.remind_before", "duty.spot_check_answer",
		"duty.spot_checks_per_night", "duty.spot_check_hours", "duty.swap_notice", "duty.swap_approver", "duty.coverage_ahead",
		"reports.deadline_general", "reports.deadline_large", "reports.deadline_major", "reports.deadline_severe",
		"reports.followup_every", "reports.relay_within", "reports.feedback_working_days", "reports.bulletin_at",
		"console.oauth_url", "console.demo_login", "console.refresh",
		"log.level", "log.format",
	}
	if !slices.Equal(keys, want) {
		t.Errorf("leaves() = %v, want %v", keys, want)
	}
}
