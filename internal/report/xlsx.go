package report

import (
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// sheet is one worksheet: a bold header row and rows of values.
type sheet struct {
	Name   string
	Header []string
	Rows   [][]any
	Widths []float64
}

// writeWorkbook writes sheets as an Excel workbook.
func writeWorkbook(w io.Writer, what string, sheets []sheet) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("%s xlsx: %w", what, err)
	}
	for i, s := range sheets {
		if i == 0 {
			err = f.SetSheetName("Sheet1", s.Name)
		} else {
			_, err = f.NewSheet(s.Name)
		}
		if err != nil {
			return fmt.Errorf("%s xlsx: sheet %s: %w", what, s.Name, err)
		}
		sw, err := f.NewStreamWriter(s.Name)
		if err != nil {
			return fmt.Errorf("%s xlsx: sheet %s: %w", what, s.Name, err)
		}
		for j, width := range s.Widths {
			if err := sw.SetColWidth(j+1, j+1, width); err != nil {
				return fmt.Errorf("%s xlsx: sheet %s: %w", what, s.Name, err)
			}
		}
		header := make([]any, len(s.Header))
		for j, h := range s.Header {
			header[j] = excelize.Cell{StyleID: bold, Value: h}
		}
		if err := sw.SetRow("A1", header); err != nil {
			return fmt.Errorf("%s xlsx: sheet %s: %w", what, s.Name, err)
		}
		for j, r := range s.Rows {
			if err := sw.SetRow("A"+strconv.Itoa(j+2), r); err != nil {
				return fmt.Errorf("%s xlsx: sheet %s: %w", what, s.Name, err)
			}
		}
		if err := sw.Flush(); err != nil {
			return fmt.Errorf("%s xlsx: sheet %s: %w", what, s.Name, err)
		}
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("%s xlsx: %w", what, err)
	}
	return nil
}

// XLSX writes the bulletin as a workbook: a summary sheet, then one sheet
// per section.
func (d Daily) XLSX(w io.Writer) error {
	leaders, officers := d.leadersAndOfficers()
	summary := sheet{Name: "值班要情", Header: []string{"项目", "内容"}, Widths: []float64{14, 80}, Rows: [][]any{
		{"标题", d.Title()}, {"时段", d.span()}, {"值班领导", orNone(leaders)}, {"值班人员", orNone(officers)},
		{"突发事件", len(d.Reports)}, {"迟报", d.LateReports()}, {"领导批示", len(d.Instructions)},
		{"空岗", len(d.Absences)}, {"查岗", d.spotSummary()}, {"待办事项", len(d.Pending)}, {"告警", len(d.Escalations)},
	}}
	if d.Holiday {
		important := "无重要情况"
		if !d.Quiet() {
			important = ""
			for i, l := range d.importantLines() {
				if i > 0 {
					important += "\n"
				}
				important += l
			}
		}
		summary.Rows = append(summary.Rows, []any{"重要事项", important})
	}
	shifts := sheet{Name: "值班情况", Header: []string{"班次", "时间", "角色", "姓名", "签到"}, Widths: []float64{10, 14, 10, 12, 24}}
	for _, s := range d.Shifts {
		for _, p := range s.Leaders {
			shifts.Rows = append(shifts.Rows, []any{s.Name, s.Hours, "带班领导", p.Name, p.Checkin})
		}
		for _, p := range s.Officers {
			shifts.Rows = append(shifts.Rows, []any{s.Name, s.Hours, "值班员", p.Name, p.Checkin})
		}
	}
	reports := sheet{Name: "突发事件", Header: []string{"编号", "级别", "类别", "敏感", "事件", "地点", "报告时间", "报告人", "状态", "迟报（分钟）"},
		Widths: []float64{16, 8, 10, 6, 40, 16, 12, 10, 8, 12}}
	for _, r := range d.Reports {
		sensitive, late := "", any("")
		if r.Sensitive {
			sensitive = "是"
		}
		if r.LateBy > 0 {
			late = minutes(r.LateBy)
		}
		reports.Rows = append(reports.Rows, []any{r.Number, r.Level.Label(), r.Category.Label(), sensitive, r.Summary, r.Place,
			d.clock(r.FiledAt), r.FiledBy, r.Status, late})
	}
	instructions := sheet{Name: "领导批示", Header: []string{"报告编号", "批示", "领导", "时间", "责任人", "状态", "传达至"},
		Widths: []float64{16, 40, 10, 12, 10, 30, 16}}
	for _, in := range d.Instructions {
		instructions.Rows = append(instructions.Rows, []any{in.ReportNumber, in.Content, in.Leader, d.clock(in.IssuedAt), in.Officer, in.Label(), in.RelayedTo})
	}
	checks := sheet{Name: "在岗检查", Header: []string{"类型", "班次", "姓名", "时间", "结果"}, Widths: []float64{8, 10, 12, 12, 24}}
	for _, a := range d.Absences {
		result := "未解除"
		if a.Resolved != "" {
			result = a.Resolved
		}
		checks.Rows = append(checks.Rows, []any{"空岗", a.Shift, a.Name, d.clock(a.DetectedAt), result})
	}
	for _, c := range d.SpotChecks {
		checks.Rows = append(checks.Rows, []any{"查岗", c.Shift, c.Name, d.clock(c.At), c.Result})
	}
	pending := sheet{Name: "待办事项", Header: []string{"编号", "内容", "记录人", "时间"}, Widths: []float64{8, 50, 10, 12}}
	for _, p := range d.Pending {
		pending.Rows = append(pending.Rows, []any{p.ID, p.Content, p.Author, d.clock(p.At)})
	}
	alerts := sheet{Name: "告警", Header: []string{"编号", "事由", "时间", "结果", "确认人", "确认时间"}, Widths: []float64{12, 36, 12, 10, 10, 12}}
	for _, e := range d.Escalations {
		ackedAt := ""
		if e.Outcome == OutcomeAcked {
			ackedAt = d.clock(e.AckedAt)
		}
		alerts.Rows = append(alerts.Rows, []any{e.ID, e.Title, d.clock(e.At), e.Outcome, e.AckedBy, ackedAt})
	}
	return writeWorkbook(w, "bulletin", []sheet{summary, shifts, reports, instructions, checks, pending, alerts})
}

// XLSX writes the statistics as a workbook: the figures (指标), then one
// sheet per breakdown. Whole numbers are written as numbers.
func (st Stats) XLSX(w io.Writer) error {
	figures := sheet{Name: "指标", Header: []string{"指标", "值"}, Widths: []float64{24, 30}}
	for _, r := range st.Rows() {
		figures.Rows = append(figures.Rows, []any{r.Name, cellValue(r.Value)})
	}
	counts := func(name, what string, cs []Count) sheet {
		s := sheet{Name: name, Header: []string{what, "数量"}, Widths: []float64{14, 10}}
		for _, c := range cs {
			s.Rows = append(s.Rows, []any{c.Label, c.N})
		}
		return s
	}
	unit := "日"
	if st.Period.Year {
		unit = "月"
	}
	series := sheet{Name: "每" + unit + "事件", Header: append([]string{unit}, levelLabels()...), Widths: []float64{8, 8, 8, 8, 10}}
	for _, p := range st.Series {
		row := []any{p.Label}
		for _, n := range p.ByLevel {
			row = append(row, n)
		}
		series.Rows = append(series.Rows, row)
	}
	notes := sheet{Name: "通知发送", Header: []string{"渠道", "成功", "失败"}, Widths: []float64{12, 8, 8}}
	for _, c := range st.Notifications {
		notes.Rows = append(notes.Rows, []any{channelLabel(c.Channel), c.Sent, c.Failed})
	}
	return writeWorkbook(w, "statistics", []sheet{
		figures, counts("按级别", "级别", st.ByLevel), counts("按类别", "类别", st.ByCategory),
		counts("告警结果", "结果", st.Outcomes), notes, series,
	})
}

// cellValue is v as a number when it is a whole number.
func cellValue(v string) any {
	if n, err := strconv.Atoi(v); err == nil {
		return n
	}
	return v
}
