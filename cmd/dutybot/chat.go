package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"dutybot/bot/wecomtest"
	"dutybot/internal/demo"
)

// chatCmd plays WeCom: it sends TEXT as a member through a real signed,
// encrypted callback and, against a demo server, prints the bot's reply as
// the fake WeCom received it.
func chatCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("chat", stderr)
	path := fs.String("config", "", "YAML configuration file (the server's; demo credentials when it has no WeCom settings)")
	as := fs.String("as", "", "WeCom userid to send as, e.g. zhangsan (required)")
	url := fs.String("url", "", "server base URL (default from http.addr)")
	wait := fs.Duration("wait", 5*time.Second, "how long to wait for the reply")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	text := strings.Join(fs.Args(), " ")
	if *as == "" || text == "" {
		fmt.Fprintln(stderr, "usage: dutybot chat --as USERID TEXT   (e.g. dutybot chat --as zhangsan 帮助)")
		return errUsage
	}
	cfg, base, err := serverTarget(*path, *url, stderr)
	if err != nil {
		return err
	}
	signer := demo.Signer(cfg)
	client := &http.Client{Timeout: *wait + 5*time.Second}
	fakeURL := base + demo.PathPrefix

	// Note where the fake's record stands, so only the new reply is printed.
	var after int64
	seen, pollErr := wecomtest.PollMessages(ctx, client, fakeURL, *as, 0, 0)
	if pollErr == nil && len(seen) > 0 {
		after = seen[len(seen)-1].Seq
	}

	now := time.Now()
	msg := wecomtest.TextXML(signer.CorpID, *as, text, now.UnixNano(), now, signer.AgentID)
	resp, err := signer.Post(ctx, client, base+"/wecom/callback", msg, now)
	if err != nil {
		return fmt.Errorf("send callback: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("server answered %s (see its log for why)", resp.Status)
	}
	if pollErr != nil {
		fmt.Fprintln(stdout, "已发送。服务器不是演示模式，回复会发到企业微信。 (sent; the server is not in demo mode, so the reply goes to WeCom)")
		return nil
	}
	replies, err := wecomtest.PollMessages(ctx, client, fakeURL, *as, after, *wait)
	if err != nil {
		return fmt.Errorf("read reply: %w", err)
	}
	if len(replies) == 0 {
		return fmt.Errorf("no reply within %s", *wait)
	}
	// A command can answer with more than one message (an alert card and
	// the reply, say): collect what follows within a moment.
	for {
		more, err := wecomtest.PollMessages(ctx, client, fakeURL, *as, replies[len(replies)-1].Seq, chatSettle)
		if err != nil || len(more) == 0 {
			break
		}
		replies = append(replies, more...)
	}
	for _, r := range replies {
		if r.MsgType == "template_card" {
			fmt.Fprintf(stdout, "[卡片 card] %s\n", r.Content)
			continue
		}
		fmt.Fprintln(stdout, r.Content)
	}
	return nil
}

// chatSettle is how long chat waits for further messages after the first.
const chatSettle = 500 * time.Millisecond
