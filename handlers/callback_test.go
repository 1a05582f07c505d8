package handlers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"dutybot/bot/wecom"
	"dutybot/bot/wecomtest"
	"dutybot/internal/clock"
	"dutybot/internal/metrics"
)

// The EncodingAESKey of WeCom's documentation example.
var cbSigner = wecomtest.Signer{
	Token:          "QDG6eK",
	EncodingAESKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
	CorpID:         "wx5823bf96d3bd56c7",
	AgentID:        1000002,
}

// cbNow is the fake clock's time: a whole second, so timestamps are exact.
var cbNow = time.Date(2026, 11, 23, 8, 30, 0, 0, time.UTC)

const cbWindow = 5 * time.Minute

type acceptCall struct {
	msg wecom.Message
	raw []byte
}

// stubAcceptor records every call and answers isNew (or err).
type stubAcceptor struct {
	mu    sync.Mutex
	calls []acceptCall
	isNew bool
	err   error
}

func (s *stubAcceptor) Accept(ctx context.Context, msg wecom.Message, raw []byte) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, acceptCall{msg: msg, raw: bytes.Clone(raw)})
	if s.err != nil {
		return false, s.err
	}
	return s.isNew, nil
}

func (s *stubAcceptor) Calls() []acceptCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]acceptCall(nil), s.calls...)
}

func newTestCrypto(t *testing.T) *wecom.Crypto {
	t.Helper()
	c, err := wecom.NewCrypto(cbSigner.Token, cbSigner.EncodingAESKey, cbSigner.CorpID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newTestCallback(t *testing.T, acc Acceptor, m *metrics.Metrics) *Callback {
	t.Helper()
	return &Callback{
		Crypto:  newTestCrypto(t),
		Accept:  acc,
		Clock:   clock.NewFake(cbNow),
		Window:  cbWindow,
		Log:     slog.New(slog.DiscardHandler),
		Metrics: m,
	}
}

// textPlain is the plaintext of the text message most rows send.
func textPlain(msgID int64) []byte {
	return wecomtest.TextXML(cbSigner.CorpID, "zhangsan", "帮助", msgID, cbNow, cbSigner.AgentID)
}

// postReq builds a signed, encrypted POST of plain from signer s at ts, then
// lets edit change the query before it is encoded.
func postReq(t *testing.T, s wecomtest.Signer, plain []byte, ts time.Time, edit func(url.Values)) *http.Request {
	t.Helper()
	q, body, err := s.Envelope(plain, ts, "1372623149")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(q)
	}
	r := httptest.NewRequest(http.MethodPost, "/wecom/callback?"+q.Encode(), bytes.NewReader(body))
	r.Header.Set("Content-Type", "text/xml")
	return r
}

// rawPostReq POSTs body with a query signed for encrypt (which need not be in body).
func rawPostReq(t *testing.T, body []byte, encrypt string) *http.Request {
	t.Helper()
	ts := strconv.FormatInt(cbNow.Unix(), 10)
	q := url.Values{
		"msg_signature": {cbSigner.Signature(ts, "42", encrypt)},
		"timestamp":     {ts},
		"nonce":         {"42"},
	}
	return httptest.NewRequest(http.MethodPost, "/wecom/callback?"+q.Encode(), bytes.NewReader(body))
}

func getReq(t *testing.T, echostr string, ts time.Time, edit func(url.Values)) *http.Request {
	t.Helper()
	q, err := cbSigner.VerifyURLQuery(echostr, ts, "1372623149")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(q)
	}
	return httptest.NewRequest(http.MethodGet, "/wecom/callback?"+q.Encode(), nil)
}

func envelopeXML(encrypt string) []byte {
	return []byte("<xml><ToUserName><![CDATA[" + cbSigner.CorpID + "]]></ToUserName><Encrypt><![CDATA[" +
		encrypt + "]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>")
}

func TestCallbackServeHTTP(t *testing.T) {
	const echostr = "1616140317555161061"
	tests := []struct {
		name  string
		req   func(t *testing.T) *http.Request
		nilCr bool  // Crypto nil: WeCom not configured
		isNew *bool // acceptor's answer; nil means true
		accEr error // acceptor's error

		wantStatus int
		wantResult string // dutybot_callbacks_total label
		wantBody   string // exact body when checkBody
		checkBody  bool
		wantAccept bool // the acceptor must have been called once
	}{
		{
			name:       "GET verify OK",
			req:        func(t *testing.T) *http.Request { return getReq(t, echostr, cbNow, nil) },
			wantStatus: http.StatusOK, wantResult: metrics.ResultVerified,
			wantBody: echostr, checkBody: true,
		},
		{
			name: "GET bad signature",
			req: func(t *testing.T) *http.Request {
				return getReq(t, echostr, cbNow, func(q url.Values) {
					q.Set("msg_signature", strings.Repeat("0", 40))
				})
			},
			wantStatus: http.StatusUnauthorized, wantResult: metrics.ResultBadSignature,
		},
		{
			name: "GET stale timestamp",
			req: func(t *testing.T) *http.Request {
				return getReq(t, echostr, cbNow.Add(-6*time.Minute), nil)
			},
			wantStatus: http.StatusUnauthorized, wantResult: metrics.ResultStale,
		},
		{
			name: "GET missing echostr",
			req: func(t *testing.T) *http.Request {
				return getReq(t, echostr, cbNow, func(q url.Values) { q.Del("echostr") })
			},
			wantStatus: http.StatusUnauthorized, wantResult: metrics.ResultBadSignature,
		},
		{
			name:       "GET unconfigured",
			req:        func(t *testing.T) *http.Request { return getReq(t, echostr, cbNow, nil) },
			nilCr:      true,
			wantStatus: http.StatusServiceUnavailable, wantResult: metrics.ResultUnconfigured,
		},
		{
			name:       "POST OK",
			req:        func(t *testing.T) *http.Request { return postReq(t, cbSigner, textPlain(7001), cbNow, nil) },
			wantStatus: http.StatusOK, wantResult: metrics.ResultAccepted,
			wantBody: "", checkBody: true, wantAccept: true,
		},
		{
			name:       "POST duplicate",
			req:        func(t *testing.T) *http.Request { return postReq(t, cbSigner, textPlain(7001), cbNow, nil) },
			isNew:      new(false),
			wantStatus: http.StatusOK, wantResult: metrics.ResultDuplicate,
			wantBody: "", checkBody: true, wantAccept: true,
		},
		{
			name:       "POST acceptor error, WeCom retries",
			req:        func(t *testing.T) *http.Request { return postReq(t, cbSigner, textPlain(7001), cbNow, nil) },
			accEr:      errors.New("database is locked"),
			wantStatus: http.StatusInternalServerError, wantResult: metrics.ResultStoreError,
			wantAccept: true,
		},
		{
			name: "POST missing msg_signature",
			req: func(t *testing.T) *http.Request {
				return postReq(t, cbSigner, textPlain(7001), cbNow, func(q url.Values) { q.Del("msg_signature") })
			},
			wantStatus: http.StatusUnauthorized, wantResult: metrics.ResultBadSignature,
		},
		{
			name: "POST missing timestamp",
			req: func(t *testing.T) *http.Request {
				return postReq(t, cbSigner, textPlain(7001), cbNow, func(q url.Values) { q.Del("timestamp") })
			},
			wantStatus: http.StatusUnauthorized, wantResult: metrics.ResultBadSignature,
		},
		{
			name: "POST missing nonce",
			req: func(t *testing.T) *http.Request {
				return postReq(t, cbSigner, textPlain(7001), cbNow, func(q url.Values) { q.Del("nonce") })
			},
			wantStatus: http.StatusUnauthorized, wantResult: metrics.ResultBadSignature,
		},
		{
			name: "POST bad signature",
			req: func(t *testing.T) *http.Request {
				return postReq(t, cbSigner, textPlain(7001), cbNow, func(q url.Values) {
					q.Set("nonce", "1372623150") // signed for another nonce
				})
			},
			wantStatus: http.StatusUnauthorized, wantResult: metrics.ResultBadSignature,
		},
		{
			name: "POST non-numeric timestamp",
			req: func(t *testing.T) *http.Request {
				return postReq(t, cbSigner, textPlain(7001), cbNow, func(q url.Values) { q.Set("timestamp", "yesterday") })
			},
			wantStatus: http.StatusUnauthorized, wantResult: metrics.ResultStale,
		},
		{
			name: "POST timestamp 6 minutes old",
			req: func(t *testing.T) *http.Request {
				return postReq(t, cbSigner, textPlain(7001), cbNow.Add(-6*time.Minute), nil)
			},
			wantStatus: http.StatusUnauthorized, wantResult: metrics.ResultStale,
		},
		{
			name: "POST timestamp 6 minutes ahead",
			req: func(t *testing.T) *http.Request {
				return postReq(t, cbSigner, textPlain(7001), cbNow.Add(6*time.Minute), nil)
			},
			wantStatus: http.StatusUnauthorized, wantResult: metrics.ResultStale,
		},
		{
			name: "POST timestamp one second past the window",
			req: func(t *testing.T) *http.Request {
				return postReq(t, cbSigner, textPlain(7001), cbNow.Add(-cbWindow-time.Second), nil)
			},
			wantStatus: http.StatusUnauthorized, wantResult: metrics.ResultStale,
		},
		{
			name: "POST timestamp exactly at the window's old edge",
			req: func(t *testing.T) *http.Request {
				return postReq(t, cbSigner, textPlain(7001), cbNow.Add(-cbWindow), nil)
			},
			wantStatus: http.StatusOK, wantResult: metrics.ResultAccepted, wantAccept: true,
		},
		{
			name: "POST timestamp exactly at the window's future edge",
			req: func(t *testing.T) *http.Request {
				return postReq(t, cbSigner, textPlain(7001), cbNow.Add(cbWindow), nil)
			},
			wantStatus: http.StatusOK, wantResult: metrics.ResultAccepted, wantAccept: true,
		},
		{
			name: "POST body over 1 MiB",
			req: func(t *testing.T) *http.Request {
				return rawPostReq(t, bytes.Repeat([]byte("x"), MaxCallbackBody+1), "x")
			},
			wantStatus: http.StatusRequestEntityTooLarge, wantResult: metrics.ResultTooLarge,
		},
		{
			name:       "POST envelope not XML",
			req:        func(t *testing.T) *http.Request { return rawPostReq(t, []byte("hello, dutybot"), "x") },
			wantStatus: http.StatusBadRequest, wantResult: metrics.ResultBadRequest,
		},
		{
			name: "POST envelope without Encrypt",
			req: func(t *testing.T) *http.Request {
				return rawPostReq(t, []byte("<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName></xml>"), "")
			},
			wantStatus: http.StatusBadRequest, wantResult: metrics.ResultBadRequest,
		},
		{
			name: "POST signed ciphertext that does not decrypt",
			req: func(t *testing.T) *http.Request {
				enc := base64.StdEncoding.EncodeToString(make([]byte, 32)) // garbage that decrypts to bad padding
				return rawPostReq(t, envelopeXML(enc), enc)
			},
			wantStatus: http.StatusBadRequest, wantResult: metrics.ResultBadRequest,
		},
		{
			name: "POST payload for another corp id",
			req: func(t *testing.T) *http.Request {
				other := cbSigner
				other.CorpID = "ww0000000000000000"
				return postReq(t, other, textPlain(7001), cbNow, nil)
			},
			wantStatus: http.StatusForbidden, wantResult: metrics.ResultWrongCorp,
		},
		{
			name: "POST decrypts to non-XML",
			req: func(t *testing.T) *http.Request {
				return postReq(t, cbSigner, []byte("not xml at all"), cbNow, nil)
			},
			wantStatus: http.StatusBadRequest, wantResult: metrics.ResultBadRequest,
		},
		{
			name: "POST decrypts to XML without MsgId",
			req: func(t *testing.T) *http.Request {
				plain := []byte("<xml><FromUserName>zhangsan</FromUserName><MsgType>text</MsgType><Content>hi</Content></xml>")
				return postReq(t, cbSigner, plain, cbNow, nil)
			},
			wantStatus: http.StatusBadRequest, wantResult: metrics.ResultBadRequest,
		},
		{
			name:       "POST unconfigured",
			req:        func(t *testing.T) *http.Request { return postReq(t, cbSigner, textPlain(7001), cbNow, nil) },
			nilCr:      true,
			wantStatus: http.StatusServiceUnavailable, wantResult: metrics.ResultUnconfigured,
		},
		{
			name: "PUT",
			req: func(t *testing.T) *http.Request {
				return httptest.NewRequest(http.MethodPut, "/wecom/callback", strings.NewReader("<xml/>"))
			},
			wantStatus: http.StatusMethodNotAllowed, wantResult: metrics.ResultBadRequest,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc := &stubAcceptor{isNew: true, err: tt.accEr}
			if tt.isNew != nil {
				acc.isNew = *tt.isNew
			}
			m := metrics.New()
			c := newTestCallback(t, acc, m)
			if tt.nilCr {
				c.Crypto = nil
			}
			req := tt.req(t)
			rec := httptest.NewRecorder()
			c.ServeHTTP(rec, req)

			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %q)", rec.Code, tt.wantStatus, rec.Body.String())
			}
			if tt.checkBody && rec.Body.String() != tt.wantBody {
				t.Errorf("body = %q, want %q", rec.Body.String(), tt.wantBody)
			}
			if tt.wantStatus == http.StatusMethodNotAllowed {
				allow := rec.Header().Get("Allow")
				if !strings.Contains(allow, http.MethodGet) || !strings.Contains(allow, http.MethodPost) {
					t.Errorf("Allow = %q, want GET and POST", allow)
				}
			}

			calls := acc.Calls()
			switch {
			case !tt.wantAccept && len(calls) != 0:
				t.Fatalf("acceptor called %d times on a rejected callback: %+v", len(calls), calls[0].msg)
			case tt.wantAccept && len(calls) != 1:
				t.Fatalf("acceptor called %d times, want 1", len(calls))
			case tt.wantAccept:
				got := calls[0]
				if got.msg.MsgType != wecom.TypeText || got.msg.FromUserName != "zhangsan" ||
					got.msg.Content != "帮助" || got.msg.MsgID != "7001" {
					t.Errorf("accepted message = %+v", got.msg)
				}
				if k := got.msg.DedupKey(); k != "msg:7001" {
					t.Errorf("DedupKey = %q, want msg:7001", k)
				}
				if !bytes.Equal(got.raw, textPlain(7001)) {
					t.Errorf("raw = %q, want the decrypted plaintext %q", got.raw, textPlain(7001))
				}
			}

			// Exactly this request was counted, under its result.
			text := scrape(t, m)
			if got := sample(text, `dutybot_callbacks_total{result="`+tt.wantResult+`"}`); got != 1 {
				t.Errorf("dutybot_callbacks_total{result=%q} = %v, want 1\n%s", tt.wantResult, got, callbackLines(text))
			}
			if got := sample(text, "dutybot_callback_duration_seconds_count"); got != 1 {
				t.Errorf("dutybot_callback_duration_seconds_count = %v, want 1", got)
			}
		})
	}
}

func TestCallbackGETVerifyContentType(t *testing.T) {
	c := newTestCallback(t, &stubAcceptor{isNew: true}, nil) // nil Metrics must be fine too
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, getReq(t, "echo-中文", cbNow, nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "echo-中文" {
		t.Fatalf("GET verify = %d %q", rec.Code, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q, want text/plain", ct)
	}
}

// TestCallbackMetricsCount sends a mix of requests to one Callback and checks
// the scraped counters add up.
func TestCallbackMetricsCount(t *testing.T) {
	m := metrics.New()
	acc := &stubAcceptor{isNew: true}
	c := newTestCallback(t, acc, m)
	serve := func(r *http.Request) int {
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, r)
		return rec.Code
	}
	for i := range 3 {
		if code := serve(postReq(t, cbSigner, textPlain(int64(100+i)), cbNow, nil)); code != http.StatusOK {
			t.Fatalf("POST %d = %d", i, code)
		}
	}
	acc.mu.Lock()
	acc.isNew = false
	acc.mu.Unlock()
	if code := serve(postReq(t, cbSigner, textPlain(100), cbNow, nil)); code != http.StatusOK {
		t.Fatalf("duplicate POST = %d", code)
	}
	for range 2 {
		serve(postReq(t, cbSigner, textPlain(200), cbNow.Add(-time.Hour), nil))
	}
	serve(getReq(t, "echo", cbNow, nil))
	serve(httptest.NewRequest(http.MethodDelete, "/wecom/callback", nil))

	text := scrape(t, m)
	want := map[string]float64{
		metrics.ResultAccepted:     3,
		metrics.ResultDuplicate:    1,
		metrics.ResultStale:        2,
		metrics.ResultVerified:     1,
		metrics.ResultBadRequest:   1,
		metrics.ResultBadSignature: 0,
		metrics.ResultStoreError:   0,
	}
	for result, n := range want {
		if got := sample(text, `dutybot_callbacks_total{result="`+result+`"}`); got != n {
			t.Errorf("dutybot_callbacks_total{result=%q} = %v, want %v", result, got, n)
		}
	}
	if got := sample(text, "dutybot_callback_duration_seconds_count"); got != 8 {
		t.Errorf("dutybot_callback_duration_seconds_count = %v, want 8", got)
	}
	if n := len(acc.Calls()); n != 4 {
		t.Errorf("acceptor called %d times, want 4 (3 new + 1 duplicate)", n)
	}
}

// scrape reads m's Prometheus text through its HTTP handler.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("metrics = %d", rec.Code)
	}
	return rec.Body.String()
}

// sample returns the value of series in Prometheus text, 0 when absent.
func sample(text, series string) float64 {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				return -1
			}
			return v
		}
	}
	return 0
}

func callbackLines(text string) string {
	var b strings.Builder
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, "dutybot_callbacks_total{") {
			b.WriteString(line)
		}
	}
	return b.String()
}
