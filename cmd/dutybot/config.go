package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"dutybot/configs"
	"dutybot/internal/demo"
	"dutybot/push"
	"dutybot/roster"
)

// newFlags makes a flag set that reports errors to stderr without exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("dutybot "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args; on a bad flag the flag package has already
// printed the problem and the usage, so it returns errUsage (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	return nil
}

// loadConfig loads file + environment and prints every error, and the
// warnings too when asked; it fails when any problem is an error.
func loadConfig(path string, stderr io.Writer, warnings bool) (configs.Config, error) {
	cfg, problems := configs.Load(path, os.LookupEnv)
	for _, p := range problems {
		if warnings || p.Severity == configs.Error {
			fmt.Fprintln(stderr, p.String())
		}
	}
	if problems.HasErrors() {
		return cfg, fmt.Errorf("configuration has errors (see above)")
	}
	return cfg, nil
}

// serverTarget loads the configuration a client command shares with the
// server and returns the server's base URL: url when given, else the one
// http.addr listens on (no trailing slash).
func serverTarget(path, url string, stderr io.Writer) (configs.Config, string, error) {
	cfg, err := loadConfig(path, stderr, false)
	if err != nil {
		return cfg, "", err
	}
	if url == "" {
		url = demo.BaseURL(cfg.HTTP.Addr)
	}
	return cfg, strings.TrimSuffix(url, "/"), nil
}

func checkConfigCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check-config", stderr)
	path := fs.String("config", "", "YAML configuration file (optional; DUTYBOT_* variables override it)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, problems := configs.Load(*path, os.LookupEnv)
	for _, p := range problems {
		fmt.Fprintln(stdout, p.String())
	}
	if problems.HasErrors() {
		return fmt.Errorf("%d problem(s) found", len(problems))
	}
	if cfg.Roster.File != "" {
		if _, err := roster.LoadSettings(cfg.Roster.File); err != nil {
			fmt.Fprintf(stdout, "error: roster.file: %v\n", err)
			return fmt.Errorf("roster file has errors")
		}
	}
	if cfg.Push.Policies != "" {
		if _, err := push.LoadPolicies(cfg.Push.Policies); err != nil {
			fmt.Fprintf(stdout, "error: push.policies: %v\n", err)
			return fmt.Errorf("escalation policies have errors")
		}
	}
	source := "defaults and environment"
	if *path != "" {
		source = *path + " and environment"
	}
	fmt.Fprintf(stdout, "configuration OK (%s): listen %s, store %s, time zone %s, WeCom configured: %v, Redis: %v\n",
		source, cfg.HTTP.Addr, roster.RedactURL(cfg.DB), cfg.Timezone, cfg.WeComConfigured(), cfg.Redis.URL != "")
	return nil
}
