package wecom

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work/addresslist"
	workcontext "github.com/silenceper/wechat/v2/work/context"
)

// Address-book status of a WeCom member (user/get, user/list "status").
const (
	StatusActivated    = 1 // 已激活
	StatusDisabled     = 2 // 已禁用
	StatusNotActivated = 4 // 未激活: in the address book, WeCom not yet installed
	StatusLeft         = 5 // 退出企业
)

// WeCom error codes of the address-book API.
const (
	codeUserNotFound = 60111 // UserID不存在
	codeNoPrivilege  = 60011 // 指定的成员/部门/标签参数无权限 (outside the app's visible range)
)

// ErrNoSuchUser is returned by Directory.User when WeCom does not know the
// userid (errcode 60111) or the app may not see them (60011: outside its
// visible range). Either way they are not part of the duty office.
var ErrNoSuchUser = errors.New("wecom: no such user")

// DirectoryUser is one member of the WeCom address book, as dutybot keeps
// it.
type DirectoryUser struct {
	UserID string
	Name   string
	// Mobile is empty when WeCom withholds it: self-built apps created
	// after 2022-08-15 no longer receive members' mobile numbers.
	Mobile string
	// Departments are the names of the member's departments the app may
	// see, the main department first.
	Departments []string
	// Status is StatusActivated, StatusDisabled, StatusNotActivated or
	// StatusLeft (0 when WeCom did not say).
	Status int
}

// Active reports whether the person still belongs to the organisation:
// not disabled and not gone. Not having activated WeCom yet still counts.
func (u DirectoryUser) Active() bool {
	return u.Status != StatusDisabled && u.Status != StatusLeft
}

// Directory reads the WeCom address book through silenceper/wechat's
// work/addresslist (department/list, user/get) and, for the one call that
// library lacks, user/list (members with details, a department and all below
// it), made the same way. It sees what the app's visible range (可见范围)
// lets it see. Like Client it honours SetAPIBase.
type Directory struct {
	app    app
	book   *addresslist.Client
	tokens *workcontext.Context
}

// NewDirectory builds an address-book client. It shares the access token,
// and its cache, with the Client built from the same ClientConfig. Call
// SetAPIBase first to point it elsewhere than WeCom's public host.
func NewDirectory(cfg ClientConfig) *Directory {
	a := newApp(cfg)
	return &Directory{app: a, book: a.work.GetAddressList(), tokens: a.work.GetContext()}
}

// DirectoryError is a failed address-book call, with WeCom's errcode when it
// gave one (0 for network and HTTP failures). Its text never holds the access
// token or the secret.
type DirectoryError struct {
	API  string
	Code int64
	Msg  string
	err  error
}

func (e *DirectoryError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("wecom %s: errcode %d: %s", e.API, e.Code, e.Msg)
	}
	return fmt.Sprintf("wecom %s: %s", e.API, e.Msg)
}

// Unwrap exposes the underlying error for errors.Is/As.
func (e *DirectoryError) Unwrap() error { return e.err }

// Hint says what an operator should do about the error, if known.
func (e *DirectoryError) Hint() string {
	switch e.Code {
	case codeIPNotTrusted:
		return "把服务器的公网出口IP加入应用的「企业可信IP」(add this server's public IP to the app's trusted IP list)"
	case codeNoPrivilege:
		return "把值班室成员所在部门加入应用的「可见范围」(add the duty office's departments to the app's visible range)"
	}
	return ""
}

// call runs fn, and once more after dropping the cached access token when
// WeCom says it is invalid or expired. Errors come back as *DirectoryError.
func (d *Directory) call(ctx context.Context, api string, fn func() error) error {
	err := d.app.withFreshToken(ctx, fn)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return fmt.Errorf("wecom %s: %w", api, err)
	}
	var ce *util.CommonError
	if errors.As(err, &ce) {
		return &DirectoryError{API: api, Code: ce.ErrCode, Msg: Redact(ce.ErrMsg), err: err}
	}
	return &DirectoryError{API: api, Msg: Redact(err.Error()), err: err}
}

// departments returns the names of the departments the app may see, by id,
// and the ids of the topmost ones (whose parent it may not see).
func (d *Directory) departments(ctx context.Context) (map[int]string, []int, error) {
	var list []*addresslist.Department
	err := d.call(ctx, "department/list", func() error {
		var err error
		list, err = d.book.DepartmentList()
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	names := make(map[int]string, len(list))
	for _, dep := range list {
		names[dep.ID] = dep.Name
	}
	var roots []int
	for _, dep := range list {
		if _, ok := names[dep.ParentID]; !ok {
			roots = append(roots, dep.ID)
		}
	}
	return names, roots, nil
}

// userDetail is a member as user/list and user/get describe them.
type userDetail struct {
	UserID         string `json:"userid"`
	Name           string `json:"name"`
	Mobile         string `json:"mobile"`
	Department     []int  `json:"department"`
	MainDepartment int    `json:"main_department"`
	Status         int    `json:"status"`
}

type userListResponse struct {
	util.CommonError
	UserList []userDetail `json:"userlist"`
}

// Users lists every member the app may see: user/list with fetch_child=1
// under each topmost visible department (the root, 1, when department/list
// shows none), each member once.
func (d *Directory) Users(ctx context.Context) ([]DirectoryUser, error) {
	names, roots, err := d.departments(ctx)
	if err != nil {
		return nil, err
	}
	if len(roots) == 0 {
		roots = []int{1}
	}
	var out []DirectoryUser
	seen := make(map[string]bool)
	for _, root := range roots {
		var resp userListResponse
		err := d.call(ctx, "user/list", func() error {
			token, err := d.tokens.GetAccessToken()
			if err != nil {
				return err
			}
			q := url.Values{
				"access_token":  {token},
				"department_id": {strconv.Itoa(root)},
				"fetch_child":   {"1"},
			}
			// On the public host, so SetAPIBase's rewrite applies.
			body, err := util.HTTPGetContext(ctx, publicHost+"/cgi-bin/user/list?"+q.Encode())
			if err != nil {
				return err
			}
			resp = userListResponse{}
			return util.DecodeWithError(body, &resp, "user/list")
		})
		if err != nil {
			return nil, err
		}
		for _, u := range resp.UserList {
			if u.UserID == "" || seen[u.UserID] {
				continue
			}
			seen[u.UserID] = true
			out = append(out, directoryUser(u, names))
		}
	}
	return out, nil
}

// User reads one member (user/get), with department names from
// department/list. A userid WeCom does not know is ErrNoSuchUser.
func (d *Directory) User(ctx context.Context, userID string) (DirectoryUser, error) {
	var resp *addresslist.UserGetResponse
	err := d.call(ctx, "user/get", func() error {
		var err error
		resp, err = d.book.UserGet(userID)
		return err
	})
	var de *DirectoryError
	if errors.As(err, &de) && (de.Code == codeUserNotFound || de.Code == codeNoPrivilege) {
		return DirectoryUser{}, fmt.Errorf("user %q: %w", userID, ErrNoSuchUser)
	}
	if err != nil {
		return DirectoryUser{}, err
	}
	names, _, err := d.departments(ctx)
	if err != nil {
		return DirectoryUser{}, err
	}
	return directoryUser(userDetail{
		UserID: resp.UserID, Name: resp.Name, Mobile: resp.Mobile, Department: resp.Department,
		MainDepartment: resp.MainDepartment, Status: resp.Status,
	}, names), nil
}

// directoryUser converts a WeCom member, naming its departments (main
// department first; ids the app may not see are left out).
func directoryUser(u userDetail, names map[int]string) DirectoryUser {
	out := DirectoryUser{UserID: u.UserID, Name: u.Name, Mobile: u.Mobile, Status: u.Status}
	ids := u.Department
	if u.MainDepartment != 0 {
		ids = append([]int{u.MainDepartment}, ids...)
	}
	seen := make(map[int]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if name := names[id]; name != "" {
			out.Departments = append(out.Departments, name)
		}
	}
	return out
}
