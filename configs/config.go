// Package configs holds dutybot's configuration: the schema, the loader (a
// YAML file plus DUTYBOT_* environment overrides) and validation.
package configs

import "time"

// Config is the whole configuration. The yaml tags are the file's keys; the
// env tags are the DUTYBOT_* variables that override them; a secret:"true"
// tag marks a value that must never be shown in messages or logs.
type Config struct {
	HTTP     HTTP     `yaml:"http"`
	DB       string   `yaml:"db" env:"DUTYBOT_DB"`             // SQLite file path, or postgres:// URL
	Timezone string   `yaml:"timezone" env:"DUTYBOT_TIMEZONE"` // IANA name
	Admins   []string `yaml:"admins" env:"DUTYBOT_ADMINS"`     // first admins' WeCom userids (comma-separated in env)
	WeCom    WeCom    `yaml:"wecom"`
	Redis    Redis    `yaml:"redis"`
	Roster   Roster   `yaml:"roster"`
	Push     Push     `yaml:"push"`
	Duty     Duty     `yaml:"duty"`
	Reports  Reports  `yaml:"reports"`
	Console  Console  `yaml:"console"`
	Log      Log      `yaml:"log"`
}

// Console is the web console served under /console/.
type Console struct {
	// OAuthURL is WeCom's OAuth authorize page; empty means
	// https://open.weixin.qq.com/connect/oauth2/authorize with WeCom's public
	// API host, and <wecom.api_base>/connect/oauth2/authorize with another
	// (a private 政务微信 deployment or the demo's fake).
	OAuthURL string `yaml:"oauth_url" env:"DUTYBOT_CONSOLE_OAUTH_URL"`
	// DemoLogin lists the members on the login page with a one-click login
	// through WeCom OAuth: only for the demo's fake WeCom, never in
	// production.
	DemoLogin bool `yaml:"demo_login" env:"DUTYBOT_CONSOLE_DEMO_LOGIN"`
	// Refresh is how often the live board re-reads the records (default 5s).
	Refresh time.Duration `yaml:"refresh" env:"DUTYBOT_CONSOLE_REFRESH"`
}

// HTTP is the listening server.
type HTTP struct {
	Addr string `yaml:"addr" env:"DUTYBOT_HTTP_ADDR"`
	// PublicURL is how phones reach dutybot (one-tap ack links), e.g.
	// https://duty.example.gov.cn; empty means http://<addr>.
	PublicURL string `yaml:"public_url" env:"DUTYBOT_PUBLIC_URL"`
}

// WeCom is the self-built app (自建应用) in WeCom and its callback settings.
type WeCom struct {
	CorpID  string `yaml:"corp_id" env:"DUTYBOT_WECOM_CORP_ID"`
	AgentID string `yaml:"agent_id" env:"DUTYBOT_WECOM_AGENT_ID"`
	Secret  string `yaml:"secret" env:"DUTYBOT_WECOM_SECRET" secret:"true"`
	Token   string `yaml:"token" env:"DUTYBOT_WECOM_TOKEN" secret:"true"`
	AESKey  string `yaml:"aes_key" env:"DUTYBOT_WECOM_AES_KEY" secret:"true"` // 43-character EncodingAESKey
	APIBase string `yaml:"api_base" env:"DUTYBOT_WECOM_API_BASE"`
	// RateLimit keeps app messages within WeCom's per-member limits (30 a
	// minute, 1,000 an hour; WeCom drops the excess silently). Only the
	// demo's in-process fake turns it off.
	RateLimit bool `yaml:"rate_limit" env:"DUTYBOT_WECOM_RATE_LIMIT"`
	// TimestampWindow is how far a callback's timestamp may be from now.
	TimestampWindow time.Duration `yaml:"timestamp_window" env:"DUTYBOT_WECOM_TIMESTAMP_WINDOW"`
}

// Redis is optional; when URL is empty everything runs in-process.
type Redis struct {
	URL string `yaml:"url" env:"DUTYBOT_REDIS_URL" secret:"true"` // may hold a password
	// Prefix starts the keys and channels the instances share (leases,
	// timer announcements, seen callbacks); default "dutybot:". Deployments
	// sharing one Redis database need different prefixes.
	Prefix string `yaml:"prefix" env:"DUTYBOT_REDIS_PREFIX"`
}

// Roster points at the office's roster rules and schedules the address-book sync.
type Roster struct {
	// File is the roster rules file (shift templates, groups, rotations,
	// special periods, holiday files); empty means built-in default shifts.
	File string `yaml:"file" env:"DUTYBOT_ROSTER_FILE"`
	// SyncAt is the daily time (HH:MM, office time zone) the WeCom address
	// book is synced; "off" disables the daily sync.
	SyncAt string `yaml:"sync_at" env:"DUTYBOT_ROSTER_SYNC_AT"`
}

// Push configures the phone push providers; each is off until configured.
type Push struct {
	// Policies is the escalation policy file; empty means the built-in
	// policies.
	Policies string `yaml:"policies" env:"DUTYBOT_PUSH_POLICIES"`
	// AckKeyFile holds the secret that signs one-tap ack links; empty means
	// ack.key beside the database, created on first start.
	AckKeyFile string `yaml:"ack_key_file" env:"DUTYBOT_PUSH_ACK_KEY_FILE"`
	// MinWait lowers the shortest step wait policies may have (default and
	// maximum 30s; at least 1s): only for end-to-end tests and load runs.
	MinWait time.Duration `yaml:"min_wait" env:"DUTYBOT_PUSH_MIN_WAIT"`
	APNs    APNs          `yaml:"apns"`
	FCM     FCM           `yaml:"fcm"`
}

// APNs is Apple's push service. Token auth (key_file + key_id + team_id) is
// preferred; certificate auth (cert_file + cert_password) also works.
type APNs struct {
	KeyFile      string `yaml:"key_file" env:"DUTYBOT_APNS_KEY_FILE"` // .p8 auth key
	KeyID        string `yaml:"key_id" env:"DUTYBOT_APNS_KEY_ID"`
	TeamID       string `yaml:"team_id" env:"DUTYBOT_APNS_TEAM_ID"`
	CertFile     string `yaml:"cert_file" env:"DUTYBOT_APNS_CERT_FILE"` // .p12
	CertPassword string `yaml:"cert_password" env:"DUTYBOT_APNS_CERT_PASSWORD" secret:"true"`
	Topic        string `yaml:"topic" env:"DUTYBOT_APNS_TOPIC"` // the iOS app's bundle id
	// Production selects api.push.apple.com over the development host;
	// Host overrides both (tests, proxies).
	Production bool   `yaml:"production" env:"DUTYBOT_APNS_PRODUCTION"`
	Host       string `yaml:"host" env:"DUTYBOT_APNS_HOST"`
}

// FCM is Firebase Cloud Messaging (HTTP v1).
type FCM struct {
	CredentialsFile string `yaml:"credentials_file" env:"DUTYBOT_FCM_CREDENTIALS_FILE"` // service-account JSON
	ProjectID       string `yaml:"project_id" env:"DUTYBOT_FCM_PROJECT_ID"`
	// Endpoint overrides FCM's API endpoint (tests, proxies).
	Endpoint string `yaml:"endpoint" env:"DUTYBOT_FCM_ENDPOINT"`
}

// Duty is the office's duty rules: check-in location, reminders, spot
// checks, swaps and coverage (package roster/duty reads them through
// DutySettings).
type Duty struct {
	// Geofence is the duty room as "latitude,longitude,radius_m", e.g.
	// "39.9087,116.3975,200": a check-in must then come with a WeCom
	// location inside it. Empty means no location is required.
	Geofence string `yaml:"geofence" env:"DUTYBOT_DUTY_GEOFENCE"`
	// RemindEveningAt is when officers and leaders are reminded the evening
	// before their shift (HH:MM, office time), or "off".
	RemindEveningAt string `yaml:"remind_evening_at" env:"DUTYBOT_DUTY_REMIND_EVENING_AT"`
	// RemindBefore is how long before a shift the second reminder goes (0: none).
	RemindBefore time.Duration `yaml:"remind_before" env:"DUTYBOT_DUTY_REMIND_BEFORE"`
	// SpotCheckAnswer is how long an officer has to answer a 查岗.
	SpotCheckAnswer time.Duration `yaml:"spot_check_answer" env:"DUTYBOT_DUTY_SPOT_CHECK_ANSWER"`
	// SpotChecksPerNight random 查岗 run each night within SpotCheckHours
	// ("22:00-06:00", office time); 0 turns them off.
	SpotChecksPerNight int    `yaml:"spot_checks_per_night" env:"DUTYBOT_DUTY_SPOT_CHECKS_PER_NIGHT"`
	SpotCheckHours     string `yaml:"spot_check_hours" env:"DUTYBOT_DUTY_SPOT_CHECK_HOURS"`
	// SwapNotice: swaps for a shift starting sooner need an admin's approval.
	SwapNotice time.Duration `yaml:"swap_notice" env:"DUTYBOT_DUTY_SWAP_NOTICE"`
	// SwapApprover approves the other swaps: "leader" (the leader on duty,
	// or an admin) or "admin".
	SwapApprover string `yaml:"swap_approver" env:"DUTYBOT_DUTY_SWAP_APPROVER"`
	// CoverageAhead is how long before a shift an understaffed one is
	// escalated to the admins.
	CoverageAhead time.Duration `yaml:"coverage_ahead" env:"DUTYBOT_DUTY_COVERAGE_AHEAD"`
}

// Reports is the reporting rules: deadlines per level (national rules by
// default; some provinces are stricter), follow-ups, 批示 relay and
// feedback, and the daily bulletin (package roster/incident reads them
// through IncidentSettings).
type Reports struct {
	// DeadlineGeneral … DeadlineSevere: how long after an event becomes
	// known its first report is due, per level (一般, 较大, 重大, 特别重大).
	DeadlineGeneral time.Duration `yaml:"deadline_general" env:"DUTYBOT_REPORTS_DEADLINE_GENERAL"`
	DeadlineLarge   time.Duration `yaml:"deadline_large" env:"DUTYBOT_REPORTS_DEADLINE_LARGE"`
	DeadlineMajor   time.Duration `yaml:"deadline_major" env:"DUTYBOT_REPORTS_DEADLINE_MAJOR"`
	DeadlineSevere  time.Duration `yaml:"deadline_severe" env:"DUTYBOT_REPORTS_DEADLINE_SEVERE"`
	// FollowUpEvery is how often an open report needs a 续报.
	FollowUpEvery time.Duration `yaml:"followup_every" env:"DUTYBOT_REPORTS_FOLLOWUP_EVERY"`
	// RelayWithin is how long the duty officer has to relay (传达) a 批示.
	RelayWithin time.Duration `yaml:"relay_within" env:"DUTYBOT_REPORTS_RELAY_WITHIN"`
	// FeedbackWorkingDays is how many working days feedback on a 批示 may take.
	FeedbackWorkingDays int `yaml:"feedback_working_days" env:"DUTYBOT_REPORTS_FEEDBACK_WORKING_DAYS"`
	// BulletinAt is when the daily bulletin (值班要情) goes to the leaders
	// (HH:MM, office time), or "off".
	BulletinAt string `yaml:"bulletin_at" env:"DUTYBOT_REPORTS_BULLETIN_AT"`
}

// Log controls structured logging.
type Log struct {
	Level  string `yaml:"level" env:"DUTYBOT_LOG_LEVEL"`   // debug, info, warn, error
	Format string `yaml:"format" env:"DUTYBOT_LOG_FORMAT"` // text or json
}

// DefaultAPIBase is WeCom's public API host.
const DefaultAPIBase = "https://qyapi.weixin.qq.com"

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		HTTP:     HTTP{Addr: "127.0.0.1:8080"},
		DB:       "./data/dutybot.db",
		Timezone: "Asia/Shanghai",
		WeCom: WeCom{
			APIBase:         DefaultAPIBase,
			RateLimit:       true,
			TimestampWindow: 5 * time.Minute,
		},
		Roster: Roster{SyncAt: "03:00"},
		Duty: Duty{
			RemindEveningAt: "20:00", RemindBefore: time.Hour, SpotCheckAnswer: 5 * time.Minute,
			SpotChecksPerNight: 1, SpotCheckHours: "22:00-06:00", SwapNotice: 24 * time.Hour,
			SwapApprover: "leader", CoverageAhead: 24 * time.Hour,
		},
		Reports: Reports{
			DeadlineGeneral: 2 * time.Hour, DeadlineLarge: time.Hour, DeadlineMajor: 30 * time.Minute, DeadlineSevere: 30 * time.Minute,
			FollowUpEvery: 2 * time.Hour, RelayWithin: 5 * time.Minute, FeedbackWorkingDays: 3, BulletinAt: "08:00",
		},
		Console: Console{Refresh: 5 * time.Second},
		Log:     Log{Level: "info", Format: "text"},
	}
}
