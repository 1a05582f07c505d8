// Package consoletest holds what tests of the web console share: a
// browser-like request with an optional form, and reading the page's CSRF
// token.
package consoletest

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Do sends method to base+path with client c (its cookie jar is the
// browser's session), the form URL-encoded when not nil, and returns the
// response with its body read.
func Do(t testing.TB, c *http.Client, base, method, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// CSRF is the pattern of the CSRF token in a console page's forms.
var CSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
