package console

import "net/http"

func (c *Console) reports(w http.ResponseWriter, r *http.Request, v viewer) {
	c.render(w, r, http.StatusOK, "reports", c.withViewer(pageData{Title: "报告", Nav: "reports", Data: "即将提供"}, v))
}

func (c *Console) rosterPage(w http.ResponseWriter, r *http.Request, v viewer) {
	c.render(w, r, http.StatusOK, "roster", c.withViewer(pageData{Title: "排班", Nav: "roster", Data: "即将提供"}, v))
}

func (c *Console) rosterEdit(w http.ResponseWriter, r *http.Request, v viewer) {
	c.errorPage(w, r, http.StatusNotImplemented, "排班编辑即将提供。", "Roster editing is not available yet.")
}

func (c *Console) deliveries(w http.ResponseWriter, r *http.Request, v viewer) {
	c.render(w, r, http.StatusOK, "deliveries", c.withViewer(pageData{Title: "发送记录", Nav: "deliveries", Data: "即将提供"}, v))
}

func (c *Console) stats(w http.ResponseWriter, r *http.Request, v viewer) {
	c.render(w, r, http.StatusOK, "stats", c.withViewer(pageData{Title: "统计", Nav: "stats", Data: "即将提供"}, v))
}

func (c *Console) statsChart(w http.ResponseWriter, r *http.Request, v viewer) {
	http.NotFound(w, r)
}
