package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"dutybot/internal/access"
	"dutybot/internal/clock"
	"dutybot/roster"
)

const tokenUsage = `Usage:
  dutybot token create --as USERID [--name NAME] [--config F]  make an admin API token for the web console (printed once)
  dutybot token list [--config F]                            list the tokens (never their secrets)
  dutybot token revoke ID [--config F]                       revoke token ID
`

// tokenCmd manages the web console's API tokens.
func tokenCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return errUsage
	}
	fs := newFlags("token "+args[0], stderr)
	path := fs.String("config", "", "YAML configuration file (optional; DUTYBOT_* variables override it)")
	as := fs.String("as", "", "the member (WeCom userid) the token logs in as; must be an admin")
	name := fs.String("name", "", "what the token is for, e.g. 值班大屏")
	rest, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*path, stderr, false)
	if err != nil {
		return err
	}
	store, err := roster.OpenSQLite(ctx, cfg.DB, clock.Real{})
	if err != nil {
		return fmt.Errorf("open store %s: %w", cfg.DB, err)
	}
	defer store.Close()
	tokens := access.NewSQLStore(store, clock.Real{})

	switch args[0] {
	case "create":
		if *as == "" || len(rest) != 0 {
			fmt.Fprint(stderr, tokenUsage)
			return errUsage
		}
		m, err := store.Member(ctx, *as)
		if errors.Is(err, roster.ErrNotFound) {
			return fmt.Errorf("%s 不是成员 is not a member (add them first, e.g. by 同步通讯录)", *as)
		}
		if err != nil {
			return err
		}
		if !m.Active || !m.HasRole(roster.RoleAdmin) {
			return fmt.Errorf("%s 不是在职管理员 is not an active admin: API tokens are for admins (others log in through WeCom)", *as)
		}
		secret, tok, err := tokens.CreateToken(ctx, *as, *name)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "已为 %s 创建令牌 #%d；它只显示这一次，请妥善保存。Token #%d for %s; shown once only:\n", *as, tok.ID, tok.ID, *as)
		fmt.Fprintln(stdout, secret)
		return nil
	case "list":
		if len(rest) != 0 {
			fmt.Fprint(stderr, tokenUsage)
			return errUsage
		}
		ts, err := tokens.Tokens(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tUSER\tNAME\tCREATED\tLAST USED\tSTATUS")
		for _, t := range ts {
			status := "active"
			if t.Revoked() {
				status = "revoked " + t.RevokedAt.Local().Format("2006-01-02 15:04")
			}
			used := "-"
			if !t.LastUsedAt.IsZero() {
				used = t.LastUsedAt.Local().Format("2006-01-02 15:04")
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.UserID, t.Name, t.CreatedAt.Local().Format("2006-01-02 15:04"), used, status)
		}
		return w.Flush()
	case "revoke":
		if len(rest) != 1 {
			fmt.Fprint(stderr, tokenUsage)
			return errUsage
		}
		id, err := strconv.ParseInt(rest[0], 10, 64)
		if err != nil {
			return fmt.Errorf("token id %q: want a number from `dutybot token list`", rest[0])
		}
		t, err := tokens.RevokeToken(ctx, id)
		if errors.Is(err, access.ErrNotFound) {
			return fmt.Errorf("没有编号为 %d 的令牌 no token %d (see `dutybot token list`)", id, id)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "已吊销令牌 revoked token #%d (%s)\n", t.ID, t.UserID)
		return nil
	}
	fmt.Fprintf(stderr, "dutybot token: unknown subcommand %q\n\n%s", args[0], tokenUsage)
	return errUsage
}
