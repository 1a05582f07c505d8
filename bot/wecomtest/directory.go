package wecomtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// deptExists reports whether department id is known: registered, named by a
// user, or the root (1). f.mu is held.
func (f *Fake) deptExists(id int) bool {
	if id == 1 || f.depts[id] != nil {
		return true
	}
	for _, u := range f.users {
		for _, d := range u.Department {
			if d == id {
				return true
			}
		}
	}
	return false
}

// subtree returns id and the ids of all registered departments below it.
// f.mu is held.
func (f *Fake) subtree(id int) map[int]bool {
	in := map[int]bool{id: true}
	for grew := true; grew; {
		grew = false
		for _, d := range f.depts {
			if !in[d.ID] && in[d.ParentID] {
				in[d.ID] = true
				grew = true
			}
		}
	}
	return in
}

// userGet serves GET /cgi-bin/user/get?userid=ID.
func (f *Fake) userGet(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("userid")
	if id == "" {
		writeError(w, ErrMissingUserID, errorText(ErrMissingUserID))
		return
	}
	f.mu.Lock()
	u := f.lookupUser(id)
	var c User
	if u != nil {
		c = *u
	}
	f.mu.Unlock()
	if u == nil {
		writeError(w, ErrInvalidUserID, errorText(ErrInvalidUserID))
		return
	}
	writeJSON(w, struct {
		errFields
		User
	}{okFields(), c})
}

// simpleUser is an entry of user/simplelist.
type simpleUser struct {
	UserID     string `json:"userid"`
	Name       string `json:"name"`
	Department []int  `json:"department"`
	OpenUserID string `json:"open_userid"`
}

// userList serves GET /cgi-bin/user/list and /cgi-bin/user/simplelist with
// department_id=ID and optional fetch_child=1.
func (f *Fake) userList(w http.ResponseWriter, r *http.Request, simple bool) {
	q := r.URL.Query()
	id, err := strconv.Atoi(q.Get("department_id"))
	if err != nil {
		writeError(w, ErrInvalidParameter, "invalid Request Parameter: department_id")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.deptExists(id) {
		writeError(w, ErrInvalidPartyID, errorText(ErrInvalidPartyID))
		return
	}
	within := map[int]bool{id: true}
	if q.Get("fetch_child") == "1" {
		within = f.subtree(id)
	}
	full := []User{}
	brief := []simpleUser{}
	for _, u := range f.orderedUsers() {
		for _, d := range u.Department {
			if within[d] {
				full = append(full, *u)
				brief = append(brief, simpleUser{u.UserID, u.Name, u.Department, u.OpenUserID})
				break
			}
		}
	}
	if simple {
		writeJSON(w, struct {
			errFields
			UserList []simpleUser `json:"userlist"`
		}{okFields(), brief})
		return
	}
	writeJSON(w, struct {
		errFields
		UserList []User `json:"userlist"`
	}{okFields(), full})
}

// userListID serves POST /cgi-bin/user/list_id with {"cursor","limit"}.
// The cursor is an offset into the (userid, department) pairs.
func (f *Fake) userListID(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Cursor string `json:"cursor"`
		Limit  int    `json:"limit"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		writeError(w, ErrInvalidParameter, errorText(ErrInvalidParameter))
		return
	}
	if len(strings.TrimSpace(string(body))) > 0 && json.Unmarshal(body, &req) != nil {
		writeError(w, ErrInvalidParameter, "invalid Request Parameter: body is not valid JSON")
		return
	}
	if req.Limit <= 0 || req.Limit > 10000 {
		req.Limit = 10000
	}
	start := 0
	if req.Cursor != "" {
		start, err = strconv.Atoi(req.Cursor)
		if err != nil || start < 0 {
			writeError(w, ErrInvalidParameter, "invalid Request Parameter: cursor")
			return
		}
	}
	type deptUser struct {
		UserID     string `json:"userid"`
		Department int    `json:"department"`
	}
	f.mu.Lock()
	var all []deptUser
	for _, u := range f.orderedUsers() {
		for _, d := range u.Department {
			all = append(all, deptUser{u.UserID, d})
		}
	}
	f.mu.Unlock()
	page := []deptUser{}
	next := ""
	if start < len(all) {
		end := min(start+req.Limit, len(all))
		page = all[start:end]
		if end < len(all) {
			next = strconv.Itoa(end)
		}
	}
	writeJSON(w, struct {
		errFields
		NextCursor string     `json:"next_cursor"`
		DeptUser   []deptUser `json:"dept_user"`
	}{okFields(), next, page})
}

// departmentList serves GET /cgi-bin/department/list and
// /cgi-bin/department/simplelist with optional id=ID: that department and
// all below it, or every department when id is absent or 0.
func (f *Fake) departmentList(w http.ResponseWriter, r *http.Request, simple bool) {
	id := 0
	if s := r.URL.Query().Get("id"); s != "" {
		var err error
		if id, err = strconv.Atoi(s); err != nil {
			writeError(w, ErrInvalidParameter, "invalid Request Parameter: id")
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var within map[int]bool
	if id > 0 {
		if f.depts[id] == nil {
			writeError(w, ErrInvalidPartyID, errorText(ErrInvalidPartyID))
			return
		}
		within = f.subtree(id)
	}
	type simpleDept struct {
		ID       int `json:"id"`
		ParentID int `json:"parentid"`
		Order    int `json:"order"`
	}
	full := []Department{}
	brief := []simpleDept{}
	for _, did := range f.deptIDs() {
		if within != nil && !within[did] {
			continue
		}
		d := f.depts[did]
		full = append(full, *d)
		brief = append(brief, simpleDept{d.ID, d.ParentID, d.Order})
	}
	if simple {
		writeJSON(w, struct {
			errFields
			DepartmentID []simpleDept `json:"department_id"`
		}{okFields(), brief})
		return
	}
	writeJSON(w, struct {
		errFields
		Department []Department `json:"department"`
	}{okFields(), full})
}

// departmentGet serves GET /cgi-bin/department/get?id=ID.
func (f *Fake) departmentGet(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.URL.Query().Get("id"))
	if err != nil {
		writeError(w, ErrInvalidParameter, "invalid Request Parameter: id")
		return
	}
	f.mu.Lock()
	d := f.depts[id]
	var c Department
	if d != nil {
		c = *d
	}
	f.mu.Unlock()
	if d == nil {
		writeError(w, ErrInvalidPartyID, errorText(ErrInvalidPartyID))
		return
	}
	writeJSON(w, struct {
		errFields
		Department Department `json:"department"`
	}{okFields(), c})
}

// mediaGet serves GET /cgi-bin/media/get?media_id=ID: the file's bytes
// with a Content-Disposition header, or a JSON error.
func (f *Fake) mediaGet(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("media_id")
	if id == "" {
		writeError(w, ErrMissingMediaID, errorText(ErrMissingMediaID))
		return
	}
	m, ok := f.Media(id)
	if !ok {
		writeError(w, ErrInvalidMediaID, errorText(ErrInvalidMediaID))
		return
	}
	ct := m.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", `attachment; filename="`+quoteFilename(m.Filename)+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(m.Data)))
	_, _ = w.Write(m.Data)
}

// quoteFilename escapes a file name for a quoted-string header parameter.
func quoteFilename(name string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "", "\n", "")
	return r.Replace(name)
}

// mediaUpload serves POST /cgi-bin/media/upload?type=T with the file in the
// multipart field "media", and keeps it for media/get.
func (f *Fake) mediaUpload(w http.ResponseWriter, r *http.Request) {
	typ := r.URL.Query().Get("type")
	switch typ {
	case "image", "voice", "video", "file":
	default:
		writeError(w, ErrInvalidMediaType, errorText(ErrInvalidMediaType))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBody)
	file, hdr, err := r.FormFile("media")
	if err != nil {
		writeError(w, ErrEmptyMedia, errorText(ErrEmptyMedia))
		return
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil || len(data) == 0 {
		writeError(w, ErrEmptyMedia, errorText(ErrEmptyMedia))
		return
	}
	ct := hdr.Header.Get("Content-Type")
	if ct == "" || ct == "application/octet-stream" {
		ct = http.DetectContentType(data)
	}
	id := "3" + randomString(47) // WeCom media ids are opaque; this looks like one
	now := f.cfg.Now()
	f.mu.Lock()
	f.media[id] = &Media{ID: id, Type: typ, Filename: hdr.Filename, ContentType: ct, Data: data}
	f.mu.Unlock()
	writeJSON(w, struct {
		errFields
		Type      string `json:"type"`
		MediaID   string `json:"media_id"`
		CreatedAt string `json:"created_at"`
	}{errFields{0, ""}, typ, id, strconv.FormatInt(now.Unix(), 10)})
}
