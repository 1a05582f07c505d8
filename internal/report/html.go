package report

import (
	"fmt"
	"html/template"
	"io"
	"time"

	"dutybot/roster/incident"
)

// pageStyle is shared by both pages: plain, and A4-printable.
const pageStyle = `
body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", serif; margin: 2em auto; max-width: 60em; color: #000; }
h1 { text-align: center; font-size: 1.6em; letter-spacing: .1em; }
h2 { font-size: 1.15em; border-bottom: 1px solid #888; margin-top: 1.4em; }
p.meta { text-align: center; color: #333; }
table { border-collapse: collapse; width: 100%; margin: .4em 0; }
th, td { border: 1px solid #555; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #eee; }
td.n { text-align: right; }
.warn { color: #b00; font-weight: bold; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; } table { page-break-inside: auto; } }
@page { size: A4; margin: 2cm; }
`

var dailyPage = template.Must(template.New("daily").Funcs(template.FuncMap{
	"clock":       func(d Daily, t time.Time) string { return d.clock(t) },
	"people":      peopleLine,
	"report":      func(d Daily, r ReportFacts) string { return d.reportLine(r) },
	"instruction": func(d Daily, in InstructionFacts) string { return d.instructionLine(in) },
	"absence":     func(d Daily, a AbsenceFacts) string { return d.absenceLine(a) },
	"spot":        func(d Daily, c SpotCheckFacts) string { return d.spotCheckLine(c) },
	"pending":     func(d Daily, p PendingFacts) string { return d.pendingLine(p) },
	"escalation":  func(d Daily, e EscalationFacts) string { return d.escalationLine(e) },
	"late":        durationLabel,
	"none":        orNone,
}).Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>{{.D.Title}}</title><style>{{.Style}}</style></head>
<body>
<h1>{{.D.Title}}</h1>
<p class="meta">{{.Span}}</p>
{{$d := .D}}
{{if $d.Holiday}}
<p><b>值班领导：</b>{{none .Leaders}}</p>
<p><b>值班人员：</b>{{none .Officers}}</p>
{{end}}
<h2>{{if $d.Holiday}}值班安排{{else}}一、值班情况{{end}}</h2>
<table><tr><th>班次</th><th>时间</th><th>带班领导</th><th>值班员</th></tr>
{{range $d.Shifts}}<tr><td>{{.Name}}</td><td>{{.Hours}}</td><td>{{people .Leaders}}</td><td>{{people .Officers}}</td></tr>
{{else}}<tr><td colspan="4">无班次</td></tr>{{end}}
</table>
{{if $d.Holiday}}
<h2>重要事项</h2>
{{if $d.Quiet}}<p>无重要情况。</p>{{else}}<ul>{{range .Important}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{else}}
<h2>二、突发事件（{{len $d.Reports}} 件{{if $d.LateReports}}，<span class="warn">迟报 {{$d.LateReports}} 件</span>{{end}}）</h2>
<table><tr><th>编号</th><th>级别</th><th>类别</th><th>事件</th><th>报告</th><th>状态</th></tr>
{{range $d.Reports}}<tr><td>{{.Number}}</td><td>{{.Level.Label}}</td><td>{{.Category.Label}}{{if .Sensitive}}（敏感）{{end}}</td>
<td>{{.Summary}}{{if .Place}}（{{.Place}}）{{end}}</td><td>{{clock $d .FiledAt}} {{.FiledBy}}</td>
<td>{{.Status}}{{if gt .LateBy 0}}<br><span class="warn">迟报 {{late .LateBy}}</span>{{end}}</td></tr>
{{else}}<tr><td colspan="6">无</td></tr>{{end}}
</table>
<h2>三、领导批示（{{len $d.Instructions}} 条）</h2>
<table><tr><th>报告编号</th><th>批示</th><th>领导</th><th>时间</th><th>责任人</th><th>状态</th></tr>
{{range $d.Instructions}}<tr><td>{{.ReportNumber}}</td><td>{{.Content}}</td><td>{{.Leader}}</td><td>{{clock $d .IssuedAt}}</td><td>{{.Officer}}</td>
<td{{if .Overdue}} class="warn"{{end}}>{{.Label}}{{if .RelayedTo}}（传达至 {{.RelayedTo}}）{{end}}</td></tr>
{{else}}<tr><td colspan="6">无</td></tr>{{end}}
</table>
{{end}}
<h2>{{if not $d.Holiday}}四、{{end}}在岗检查</h2>
<p>空岗 {{len $d.Absences}} 次；{{$.SpotSummary}}</p>
<ul>{{range $d.Absences}}<li>{{absence $d .}}</li>{{end}}{{range $d.SpotChecks}}<li>{{spot $d .}}</li>{{end}}</ul>
<h2>{{if not $d.Holiday}}五、{{end}}待办事项（{{len $d.Pending}} 项未办结）</h2>
<ul>{{range $d.Pending}}<li>{{pending $d .}}</li>{{else}}<li>无</li>{{end}}</ul>
{{if not $d.Holiday}}
<h2>六、告警（{{len $d.Escalations}} 条）</h2>
<ul>{{range $d.Escalations}}<li>{{escalation $d .}}</li>{{else}}<li>无</li>{{end}}</ul>
{{end}}
</body>
</html>
`))

// HTML writes the bulletin as a standalone, printable page.
func (d Daily) HTML(w io.Writer) error {
	leaders, officers := d.leadersAndOfficers()
	err := dailyPage.Execute(w, struct {
		D                 Daily
		Style             template.CSS
		Leaders, Officers []string
		Important         []string
		Span, SpotSummary string
	}{d, template.CSS(pageStyle), leaders, officers, d.importantLines(), d.span(), d.spotSummary()})
	if err != nil {
		return fmt.Errorf("render bulletin page: %w", err)
	}
	return nil
}

var statsPage = template.Must(template.New("stats").Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>值班统计 {{.S.Period.Label}}</title><style>{{.Style}}</style></head>
<body>
<h1>值班统计 {{.S.Period.Label}}</h1>
<p class="meta">{{.S.Period.From}} 至 {{.S.Period.To}}</p>
<h2>指标</h2>
<table><tr><th>指标</th><th>值</th></tr>
{{range .Rows}}<tr><td>{{.Name}}</td><td class="n">{{.Value}}</td></tr>
{{end}}</table>
<h2>每{{if .S.Period.Year}}月{{else}}日{{end}}事件（按级别）</h2>
<table><tr><th>{{if .S.Period.Year}}月{{else}}日{{end}}</th>{{range .Levels}}<th>{{.}}</th>{{end}}</tr>
{{range .S.Series}}<tr><td>{{.Label}}</td>{{range .ByLevel}}<td class="n">{{.}}</td>{{end}}</tr>
{{end}}</table>
</body>
</html>
`))

// HTML writes the statistics as a standalone, printable page.
func (st Stats) HTML(w io.Writer) error {
	err := statsPage.Execute(w, struct {
		S      Stats
		Style  template.CSS
		Rows   []Row
		Levels []string
	}{st, template.CSS(pageStyle), st.Rows(), levelLabels()})
	if err != nil {
		return fmt.Errorf("render statistics page: %w", err)
	}
	return nil
}

// levelLabels are the levels in Chinese, least serious first.
func levelLabels() []string {
	var out []string
	for _, l := range incident.Levels() {
		out = append(out, l.Label())
	}
	return out
}
