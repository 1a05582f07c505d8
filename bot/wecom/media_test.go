package wecom_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"dutybot/bot/wecom"
	"dutybot/bot/wecomtest"
	"dutybot/internal/clock"
)

func TestMediaClientFetch(t *testing.T) {
	fake := wecomtest.New(wecomtest.Config{})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	wecom.SetAPIBase(srv.URL)
	cfg := fake.Config()
	c := wecom.NewMediaClient(wecom.ClientConfig{
		CorpID: cfg.CorpID, AgentID: cfg.AgentID, Secret: cfg.Secret, Cache: wecom.NewMemoryCache(clock.Real{}),
	})
	ctx := context.Background()
	want := []byte("日期,班次,角色,人员\r\n2026-12-25,白班,值班员,张三\r\n")
	fake.AddMedia("1Xyz+/=&id", "排班.csv", "text/csv", want)

	got, err := c.FetchMedia(ctx, "1Xyz+/=&id")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("FetchMedia = %q, %v; want the registered bytes", got, err)
	}

	// An expired token is refreshed and the download retried once.
	fake.ExpireTokens()
	got, err = c.FetchMedia(ctx, "1Xyz+/=&id")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("after token expiry: FetchMedia = %q, %v", got, err)
	}
	if n := fake.Calls("gettoken"); n != 2 {
		t.Fatalf("gettoken called %d times, want 2 (first token, then the refresh)", n)
	}

	// Unknown media: WeCom's 40007, reported as expired, no token in the text.
	_, err = c.FetchMedia(ctx, "no-such-media")
	var me *wecom.MediaError
	if !errors.As(err, &me) || !me.Expired() {
		t.Fatalf("unknown media: err = %v, want a MediaError with Expired()", err)
	}
	if strings.Contains(err.Error(), "access_token=") {
		t.Fatalf("error text leaks the token: %v", err)
	}

	// HTTP failure: redacted.
	fake.InjectHTTPStatus("media/get", 502, 1)
	_, err = c.FetchMedia(ctx, "1Xyz+/=&id")
	if !errors.As(err, &me) || me.Code != 0 || !strings.Contains(err.Error(), "access_token=REDACTED") {
		t.Fatalf("HTTP 502: err = %v, want a redacted MediaError", err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.FetchMedia(cctx, "1Xyz+/=&id"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: err = %v", err)
	}
}
