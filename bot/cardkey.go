package bot

import (
	"errors"
	"strconv"
	"strings"
)

// parseCardKey reads a card button key "prefix:<id>:<action>", as the
// report, request and 批示 cards make them. ok is false for any other
// shape or an id that is not a positive number; the caller decides what
// an unknown action means.
func parseCardKey(key string) (id int64, action string, ok bool) {
	parts := strings.Split(key, ":")
	if len(parts) != 3 {
		return 0, "", false
	}
	id, ok = cardKeyID(parts[1])
	if !ok {
		return 0, "", false
	}
	return id, parts[2], true
}

// parseCardIDKey reads a one-button card's key "prefix:<id>", as the spot
// check and handover cards make them.
func parseCardIDKey(key string) (id int64, ok bool) {
	parts := strings.Split(key, ":")
	if len(parts) != 2 {
		return 0, false
	}
	return cardKeyID(parts[1])
}

// cardKeyID is the id part of a card key: a positive decimal number, as
// the cards write it.
func cardKeyID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// cardReply is the reply to a card button whose step returned reply and
// err: a UserError's message, an apology for any other error (logged as
// what, with logArgs), or reply.
func (s *Service) cardReply(reply string, err error, what string, logArgs ...any) []string {
	var ue *UserError
	switch {
	case errors.As(err, &ue):
		return []string{ue.Msg}
	case err != nil:
		s.log.Error(what, append(logArgs, "err", err)...)
		return []string{apology}
	}
	return []string{reply}
}
