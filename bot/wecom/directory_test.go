package wecom_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"dutybot/bot/wecom"
	"dutybot/bot/wecomtest"
	"dutybot/internal/clock"
)

// newDirectoryFake starts a fake WeCom with a small address book and points
// a Directory at it.
func newDirectoryFake(t *testing.T, depts []wecomtest.Department) (*wecomtest.Fake, *wecom.Directory) {
	t.Helper()
	fake := wecomtest.New(wecomtest.Config{})
	for _, d := range depts {
		fake.AddDepartment(d)
	}
	for _, u := range []wecomtest.User{
		{UserID: "zhangsan", Name: "张三", Mobile: "13800000001", Department: []int{2}},
		{UserID: "lisi", Name: "李四", Department: []int{3, 2}, MainDepartment: 3, Status: wecom.StatusDisabled},
		{UserID: "wangwu", Name: "王五", Department: []int{1}, Status: wecom.StatusNotActivated},
		{UserID: "outsider", Name: "外人", Department: []int{9}},
	} {
		fake.AddUser(u)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	wecom.SetAPIBase(srv.URL)
	cfg := fake.Config()
	d := wecom.NewDirectory(wecom.ClientConfig{
		CorpID: cfg.CorpID, AgentID: cfg.AgentID, Secret: cfg.Secret, Cache: wecom.NewMemoryCache(clock.Real{}),
	})
	return fake, d
}

var officeDepts = []wecomtest.Department{
	{ID: 1, Name: "市应急管理局", ParentID: 0},
	{ID: 2, Name: "值班室", ParentID: 1},
	{ID: 3, Name: "办公室", ParentID: 1},
}

func TestDirectoryUsers(t *testing.T) {
	tests := []struct {
		name  string
		depts []wecomtest.Department
		want  []wecom.DirectoryUser
	}{
		{
			name:  "whole organisation visible",
			depts: append(officeDepts, wecomtest.Department{ID: 9, Name: "外单位", ParentID: 1}),
			want: []wecom.DirectoryUser{
				{UserID: "zhangsan", Name: "张三", Mobile: "13800000001", Departments: []string{"值班室"}, Status: 1},
				{UserID: "lisi", Name: "李四", Departments: []string{"办公室", "值班室"}, Status: 2},
				{UserID: "wangwu", Name: "王五", Departments: []string{"市应急管理局"}, Status: 4},
				{UserID: "outsider", Name: "外人", Departments: []string{"外单位"}, Status: 1},
			},
		},
		{
			// The app sees only 值班室 and 办公室 (its visible range): both are
			// listed from, each member once, and no one outside them.
			name:  "visible range of two departments",
			depts: officeDepts[1:],
			want: []wecom.DirectoryUser{
				{UserID: "zhangsan", Name: "张三", Mobile: "13800000001", Departments: []string{"值班室"}, Status: 1},
				{UserID: "lisi", Name: "李四", Departments: []string{"办公室", "值班室"}, Status: 2},
			},
		},
		{
			// No departments visible at all: the root is tried.
			name: "no departments listed",
			want: []wecom.DirectoryUser{
				{UserID: "wangwu", Name: "王五", Status: 4},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, d := newDirectoryFake(t, tt.depts)
			got, err := d.Users(context.Background())
			if err != nil {
				t.Fatalf("Users: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Users =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestDirectoryUser(t *testing.T) {
	fake, d := newDirectoryFake(t, officeDepts)
	ctx := context.Background()

	got, err := d.User(ctx, "lisi")
	if err != nil {
		t.Fatalf("User(lisi): %v", err)
	}
	want := wecom.DirectoryUser{UserID: "lisi", Name: "李四", Departments: []string{"办公室", "值班室"}, Status: 2}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("User(lisi) = %+v, want %+v", got, want)
	}
	if got.Active() {
		t.Error("a disabled user is Active")
	}

	if _, err := d.User(ctx, "nobody"); !errors.Is(err, wecom.ErrNoSuchUser) {
		t.Errorf("User(nobody) error = %v, want ErrNoSuchUser", err)
	}
	// Outside the app's visible range counts as unknown too.
	fake.InjectError("user/get", 60011, 1)
	if _, err := d.User(ctx, "zhangsan"); !errors.Is(err, wecom.ErrNoSuchUser) {
		t.Errorf("User(out of range) error = %v, want ErrNoSuchUser", err)
	}

	// An expired token is fetched again once, and the call still succeeds.
	tokens := fake.Calls("gettoken")
	fake.ExpireTokens()
	if _, err := d.User(ctx, "zhangsan"); err != nil {
		t.Fatalf("User after token expiry: %v", err)
	}
	if n := fake.Calls("gettoken"); n != tokens+1 {
		t.Errorf("gettoken calls = %d, want %d (one refresh)", n, tokens+1)
	}
	fake.ExpireTokens()
	if _, err := d.Users(ctx); err != nil {
		t.Fatalf("Users after token expiry: %v", err)
	}
}

func TestDirectoryErrors(t *testing.T) {
	tests := []struct {
		name     string
		api      string
		code     int
		call     func(d *wecom.Directory) error
		wantCode int64
		wantHint string
	}{
		{"IP not trusted on department/list", "department/list", wecomtest.ErrIPNotAllowed,
			func(d *wecom.Directory) error { _, err := d.Users(context.Background()); return err }, 60020, "企业可信IP"},
		{"no privilege on user/list", "user/list", 60011,
			func(d *wecom.Directory) error { _, err := d.Users(context.Background()); return err }, 60011, "可见范围"},
		{"busy on user/get", "user/get", wecomtest.ErrSystemBusy,
			func(d *wecom.Directory) error { _, err := d.User(context.Background(), "zhangsan"); return err }, -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, d := newDirectoryFake(t, officeDepts)
			fake.InjectError(tt.api, tt.code, 1)
			err := tt.call(d)
			var de *wecom.DirectoryError
			if !errors.As(err, &de) {
				t.Fatalf("error = %v, want a *DirectoryError", err)
			}
			if de.Code != tt.wantCode || de.API != tt.api {
				t.Errorf("error = %+v, want code %d from %s", de, tt.wantCode, tt.api)
			}
			if tt.wantHint != "" && !strings.Contains(de.Hint(), tt.wantHint) {
				t.Errorf("Hint = %q, want it to mention %q", de.Hint(), tt.wantHint)
			}
			if strings.Contains(err.Error(), "access_token=") && !strings.Contains(err.Error(), "REDACTED") {
				t.Errorf("error text leaks the token: %v", err)
			}
		})
	}
}

func TestDirectoryHTTPErrorIsRedacted(t *testing.T) {
	fake, d := newDirectoryFake(t, officeDepts)
	fake.InjectHTTPStatus("user/list", 502, 1)
	_, err := d.Users(context.Background())
	if err == nil {
		t.Fatal("Users succeeded despite a 502")
	}
	if !strings.Contains(err.Error(), "access_token=REDACTED") || strings.Contains(err.Error(), fake.Config().Secret) {
		t.Errorf("error = %v, want the access token redacted", err)
	}
}
