package demo

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/option"

	"dutybot/bot/wecomtest"
	"dutybot/configs"
	"dutybot/internal/app"
	"dutybot/internal/clock"
	"dutybot/push"
	"dutybot/push/apnstest"
	"dutybot/push/fcmtest"
	"dutybot/roster"
)

// The demo phones' app identifiers and the fake FCM project.
const (
	AppTopic   = "cn.gov.dutybot.demo"
	FCMProject = "dutybot-demo"
)

// Phone is a leader's simulated phone, paired through the real pairing API
// at start. Secret is the device credential the app would keep; the
// simulator's phone pane acknowledges with it (POST /api/v1/acks).
type Phone struct {
	UserID   string        `json:"userid"`
	Name     string        `json:"name"`
	Platform push.Platform `json:"platform"`
	Token    string        `json:"-"`
	DeviceID int64         `json:"device_id"`
	Secret   string        `json:"secret"`
}

// Label is how the simulator names the phone: "王五的 iPhone".
func (p Phone) Label() string {
	if p.Platform == push.IOS {
		return p.Name + "的 iPhone"
	}
	return p.Name + "的 Android 手机"
}

// leaderPhones are the phones the demo pairs: every leader has one, on
// both providers.
func leaderPhones() []Phone {
	names := map[string]string{}
	for _, m := range Office() {
		names[m.UserID] = m.Name
	}
	token := func(user string) string {
		sum := sha256.Sum256([]byte("dutybot demo phone " + user))
		return hex.EncodeToString(sum[:])
	}
	return []Phone{
		{UserID: StoryLeader, Name: names[StoryLeader], Platform: push.IOS, Token: token(StoryLeader)},
		{UserID: "chenjing", Name: names["chenjing"], Platform: push.Android, Token: "demo-fcm-" + token("chenjing")[:40]},
		{UserID: "liuqiang", Name: names["liuqiang"], Platform: push.IOS, Token: token("liuqiang")},
	}
}

// Demo is a running demo office: the app, the fakes it talks to, the story
// and the simulator.
type Demo struct {
	App   *app.App
	WeCom *wecomtest.Fake
	APNs  *apnstest.Fake
	FCM   *fcmtest.Fake
	Story Story
	// BaseURL is where the server is reached, e.g. http://127.0.0.1:8080.
	BaseURL string

	log     *slog.Logger
	apnsSrv *httptest.Server
	fcmSrv  *httptest.Server
	client  *http.Client
	chat    *chatLog

	mu     sync.Mutex
	phones []Phone
	ready  chan struct{}
}

// Start builds the demo office for a server that will listen at
// cfg.HTTP.Addr: it applies the demo settings to cfg, starts the APNs and
// FCM fakes on 127.0.0.1, opens the app with the generated roster rules,
// the short escalation policies and senders that reach the fakes, seeds the
// members, holidays, a month of rosters and the story, and mounts the fake
// WeCom and the simulator. Serve then runs it. The caller must Close it.
func Start(ctx context.Context, cfg configs.Config, log *slog.Logger, now time.Time) (*Demo, error) {
	Apply(&cfg)
	loc, err := cfg.Location()
	if err != nil {
		return nil, err
	}
	d := &Demo{
		WeCom: NewFake(), Story: NewStory(now, loc), BaseURL: BaseURL(cfg.HTTP.Addr), log: log,
		client: &http.Client{Timeout: 10 * time.Second}, chat: &chatLog{}, ready: make(chan struct{}),
	}
	d.apnsSrv, d.APNs = apnstest.NewServer()
	d.fcmSrv, d.FCM = fcmtest.NewServer(FCMProject)
	fail := func(err error) (*Demo, error) {
		d.closeFakes()
		return nil, err
	}
	keyDir := filepath.Dir(cfg.DB)
	if roster.IsPostgresURL(cfg.DB) {
		keyDir = "data" // no folder beside a PostgreSQL database; as the ack key's default
	}
	senders, err := d.pushSenders(ctx, keyDir)
	if err != nil {
		return fail(err)
	}
	opts := []app.Option{app.WithPushSenders(senders), app.WithRosterSettings(Settings(d.Story))}
	if cfg.Push.Policies == "" { // a policy file the operator names wins (docs/benchmarks.md uses one)
		opts = append(opts, app.WithPolicies(Policies()))
	}
	a, err := app.New(ctx, cfg, clock.Real{}, log, opts...)
	if err != nil {
		return fail(err)
	}
	d.App = a
	if err := d.seed(ctx, cfg.Admins); err != nil {
		d.Close()
		return nil, err
	}
	a.Handle(PathPrefix+"/", d.WeCom)
	a.Handle("/demo/", d.simulator(cfg))
	return d, nil
}

// seed stores the office, the holidays, the month's rosters and the story.
// Seeding sets the demo members' roles, so the configured admins
// (DUTYBOT_ADMINS; `dutybot bench escalations` raises alerts as several)
// get the admin role back afterwards, as the app's bootstrap gave it.
func (d *Demo) seed(ctx context.Context, admins []string) error {
	a := d.App
	if err := Seed(ctx, a.Store); err != nil {
		return err
	}
	for _, id := range admins {
		if err := a.Store.GrantRole(ctx, id, roster.RoleAdmin); err != nil {
			return fmt.Errorf("demo: admin %s: %w", id, err)
		}
	}
	if err := LoadHolidays(ctx, a.Store); err != nil {
		return err
	}
	if err := SeedRoster(ctx, a.Store, a.Settings, d.Story.Date); err != nil {
		return err
	}
	return SeedStory(ctx, a.Store, d.Story)
}

// pushSenders makes the real APNs and FCM senders, pointed at the fakes:
// the APNs client trusts the fake's certificate through its TLS option and
// signs with a throwaway key written to dir; FCM needs no credentials.
func (d *Demo) pushSenders(ctx context.Context, dir string) (map[push.Platform]push.Sender, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("demo APNs key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("demo APNs key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("demo APNs key: %w", err)
	}
	keyFile := filepath.Join(dir, "demo-apns-key.p8")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, fmt.Errorf("demo APNs key: %w", err)
	}
	apns, err := push.NewAPNs(push.APNsConfig{KeyFile: keyFile, KeyID: "DEMOKEY001", TeamID: "DEMOTEAM01", Topic: AppTopic, Host: d.apnsSrv.URL},
		clock.Real{}, push.WithAPNsTLSConfig(apnstest.ClientTLSConfig(d.apnsSrv)))
	if err != nil {
		return nil, fmt.Errorf("demo APNs sender: %w", err)
	}
	fcm, err := push.NewFCM(ctx, push.FCMConfig{ProjectID: FCMProject, Endpoint: fcmtest.Endpoint(d.fcmSrv)}, clock.Real{},
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "demo-fcm-token"})))
	if err != nil {
		return nil, fmt.Errorf("demo FCM sender: %w", err)
	}
	return map[push.Platform]push.Sender{push.IOS: apns, push.Android: fcm}, nil
}

// Serve runs the demo server on ln until ctx ends. Once it listens, the
// leaders' phones are paired through POST /api/v1/devices, as the app
// would; Ready is closed when they are.
func (d *Demo) Serve(ctx context.Context, ln net.Listener) error {
	pairCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		if err := d.pairPhones(pairCtx); err != nil && pairCtx.Err() == nil {
			d.log.Error("demo: pairing the leaders' phones failed; pushes will not reach the simulator", "err", err)
		}
	}()
	return d.App.Serve(ctx, ln)
}

// Ready is closed once the demo phones are paired.
func (d *Demo) Ready() <-chan struct{} { return d.ready }

// Phones returns the paired phones (none before Ready).
func (d *Demo) Phones() []Phone {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Phone(nil), d.phones...)
}

// pairPhones asks for a pairing code for each leader (what 绑定手机 does)
// and claims it through the server's own pairing API.
func (d *Demo) pairPhones(ctx context.Context) error {
	for _, p := range leaderPhones() {
		code, err := d.App.Escalations.NewPairingCode(ctx, p.UserID, 0)
		if err != nil {
			return fmt.Errorf("pairing code for %s: %w", p.UserID, err)
		}
		body, err := json.Marshal(map[string]string{"code": code, "platform": string(p.Platform), "token": p.Token, "topic": AppTopic})
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.BaseURL+"/api/v1/devices", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := d.client.Do(req)
		if err != nil {
			return fmt.Errorf("pair %s: %w", p.Label(), err)
		}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("pair %s: %s: %s", p.Label(), resp.Status, bytes.TrimSpace(raw))
		}
		var got struct {
			DeviceID int64  `json:"device_id"`
			Secret   string `json:"secret"`
		}
		if err := json.Unmarshal(raw, &got); err != nil || got.Secret == "" {
			return fmt.Errorf("pair %s: unexpected answer: %w", p.Label(), errors.Join(err, errors.New("no secret")))
		}
		p.DeviceID, p.Secret = got.DeviceID, got.Secret
		d.mu.Lock()
		d.phones = append(d.phones, p)
		d.mu.Unlock()
	}
	d.log.Info("demo: leaders' phones paired", "count", len(leaderPhones()))
	close(d.ready)
	return nil
}

// LeadersOnDuty are the leaders of the shifts running at t.
func (d *Demo) LeadersOnDuty(ctx context.Context, t time.Time) ([]string, error) {
	a := d.App
	today := roster.DateOf(t, a.Location)
	days, err := a.Store.HolidayDays(ctx, today.AddDays(-2), today.AddDays(1))
	if err != nil {
		return nil, err
	}
	as, err := a.Store.Assignments(ctx, today.AddDays(-1), today)
	if err != nil {
		return nil, err
	}
	cal := roster.NewCalendar(days, a.Settings.SpecialPeriods)
	var out []string
	for _, sr := range roster.OnDutyAt(a.Settings.Shifts, cal, as, t, a.Location) {
		out = append(out, sr.Leaders...)
	}
	return out, nil
}

// Close stops the fakes and closes the app.
func (d *Demo) Close() error {
	d.closeFakes()
	if d.App != nil {
		return d.App.Close()
	}
	return nil
}

func (d *Demo) closeFakes() {
	d.apnsSrv.Close()
	d.fcmSrv.Close()
}
