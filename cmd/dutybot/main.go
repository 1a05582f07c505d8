// Command dutybot is the duty-office bot: a WeCom callback server with its
// store, plus tools to check the configuration, chat with a running server
// and measure it.
//
//	dutybot demo [--addr ADDR] [--db FILE]
//	dutybot serve [--config FILE] [--demo]
//	dutybot check-config [--config FILE]
//	dutybot chat --as USERID [--url URL] TEXT...
//	dutybot bench callback [-n N] [-c C] [--url URL]
//	dutybot bench escalations [-n N] [-c C] [--url URL] [--fire D]
//	dutybot roster import FILE [--config FILE] [--dry-run]
//	dutybot roster export --from DATE --to DATE [--format csv|xlsx] [-o FILE]
//	dutybot report daily --date DATE [--format md|html|xlsx] [-o FILE]
//	dutybot report monthly (--month YYYY-MM | --year YYYY) [--format md|html|xlsx|csv] [-o FILE] [--chart FILE.png]
//	dutybot backup -o FILE [--config FILE]
//	dutybot restore FILE [--config FILE] [--force]
//	dutybot token create --as USERID [--name NAME] | token list | token revoke ID
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `dutybot — 值班机器人 duty-office bot for WeCom (企业微信)

Usage:
  dutybot demo [--addr A] [--db FILE]          the demo office: simulator at http://127.0.0.1:8080/demo/, no WeCom needed
  dutybot serve [--config FILE] [--demo]       run the server (--demo: the demo office on the configured database)
  dutybot check-config [--config FILE]         validate the configuration and print every problem
  dutybot chat --as USERID [--url URL] TEXT    send TEXT as USERID through a signed, encrypted callback and print the reply
  dutybot bench callback [-n N] [-c C]         load a running server with signed callbacks and print throughput and latency
  dutybot bench escalations [-n N] [--fire D]  raise N test alerts on a running demo server; print alerts/s, notifications, timer lateness
  dutybot roster import FILE [--dry-run]       check a CSV/XLSX roster, print the preview and errors by row, apply it atomically
  dutybot roster export --from D --to D [-o F] write the roster of those days as CSV (stdout) or XLSX (-o F.xlsx)
  dutybot report daily --date D [--format md|html|xlsx] [-o F]            the daily bulletin (值班要情) of duty day D
  dutybot report monthly --month YYYY-MM|--year YYYY [--format md|html|xlsx|csv] [-o F] [--chart F.png]
                                               the month's or year's statistics
  dutybot backup -o FILE                       copy the database to a new FILE while the server runs (checked after)
  dutybot restore FILE [--force]               replace the database with a backup (stop dutybot first; the old one is kept)
  dutybot token create --as USERID [--name N]  make an admin API token for the web console /console/ (printed once)
  dutybot token list | token revoke ID         list or revoke the console's API tokens

Configuration comes from FILE (YAML, see configs/dutybot.example.yaml) and DUTYBOT_* environment variables.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage means the arguments were wrong; the message has been printed.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serveCmd(ctx, args[1:], stderr)
	case "demo":
		err = demoCmd(ctx, args[1:], stderr)
	case "check-config":
		err = checkConfigCmd(args[1:], stdout, stderr)
	case "chat":
		err = chatCmd(ctx, args[1:], stdout, stderr)
	case "bench":
		err = benchCmd(ctx, args[1:], stdout, stderr)
	case "roster":
		err = rosterCmd(ctx, args[1:], stdout, stderr)
	case "backup":
		err = backupCmd(ctx, args[1:], stdout, stderr)
	case "restore":
		err = restoreCmd(ctx, args[1:], stdout, stderr)
	case "report":
		err = reportCmd(ctx, args[1:], stdout, stderr)
	case "token":
		err = tokenCmd(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "dutybot: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "dutybot %s: %v\n", args[0], err)
		return 1
	}
}

// newLogger makes the structured logger the configuration asks for.
func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lv = slog.LevelDebug
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
