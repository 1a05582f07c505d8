package wecom_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"dutybot/bot/wecom"
	"dutybot/bot/wecomtest"
	"dutybot/internal/clock"
)

// TestOAuthThroughFake walks the web OAuth as a browser does: the fake's
// authorize page redirects back with a code, which UserID exchanges once.
func TestOAuthThroughFake(t *testing.T) {
	fake := wecomtest.New(wecomtest.Config{PathPrefix: "/wx"})
	fake.AddUser(wecomtest.User{UserID: "zhangsan", Name: "张三", Department: []int{1}, Status: 1})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	wecom.SetAPIBase(srv.URL + "/wx")
	cfg := fake.Config()
	o := wecom.NewOAuth(wecom.ClientConfig{CorpID: cfg.CorpID, AgentID: cfg.AgentID, Secret: cfg.Secret, Cache: wecom.NewMemoryCache(clock.Real{})})
	auth := o.AuthorizeURL(srv.URL+"/wx/connect/oauth2/authorize", "http://app.example/console/oauth/callback?x=1", "st4te")
	if !strings.HasSuffix(auth, "#wechat_redirect") || !strings.Contains(auth, "appid="+cfg.CorpID) {
		t.Fatalf("authorize URL %s", auth)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	// Without a userid the fake lists the members to pick.
	resp, err := noFollow.Get(strings.TrimSuffix(auth, "#wechat_redirect"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("authorize page: %s", resp.Status)
	}

	resp, err = noFollow.Get(strings.TrimSuffix(auth, "#wechat_redirect") + "&userid=zhangsan")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || loc.Host != "app.example" {
		t.Fatalf("authorize: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	q := loc.Query()
	if q.Get("state") != "st4te" || q.Get("x") != "1" || q.Get("code") == "" {
		t.Fatalf("redirect query %v", q)
	}
	ctx := context.Background()
	got, err := o.UserID(ctx, q.Get("code"))
	if err != nil || got != "zhangsan" {
		t.Fatalf("UserID = %q, %v", got, err)
	}
	if _, err := o.UserID(ctx, q.Get("code")); err == nil || !strings.Contains(err.Error(), "40029") {
		t.Fatalf("second use of a code: err %v, want errcode 40029", err)
	}
	if _, err := o.UserID(ctx, "forged"); err == nil {
		t.Fatal("forged code accepted")
	}

	for name, bad := range map[string]string{
		"wrong appid":  strings.Replace(auth, "appid="+cfg.CorpID, "appid=wwother", 1),
		"unknown user": strings.TrimSuffix(auth, "#wechat_redirect") + "&userid=nobody",
	} {
		resp, err := noFollow.Get(bad)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %s, want 400", name, resp.Status)
		}
	}
}
