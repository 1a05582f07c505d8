package roster

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"

	"github.com/xuri/excelize/v2"
)

// exportHeader is the header row of an exported roster: what ParseImport
// reads back (姓名 for people, 账号 so that namesakes stay apart).
var exportHeader = []string{"日期", "班次", "角色", "姓名", "账号"}

// exportRows turns assignments into rows under exportHeader, in
// SortAssignments order.
func exportRows(as []Assignment, members []Member, shifts Shifts) [][]string {
	as = slices.Clone(as)
	SortAssignments(as, shifts)
	names := make(map[string]string, len(members))
	for _, m := range members {
		names[m.UserID] = m.Name
	}
	rows := make([][]string, 0, len(as))
	for _, a := range as {
		rows = append(rows, []string{a.Date.String(), a.Shift, a.Role.Label(), names[a.UserID], a.UserID})
	}
	return rows
}

// ExportCSV writes assignments as a roster CSV (UTF-8 with a BOM, so Excel
// on Windows shows the Chinese correctly) that ParseImport reads back.
func ExportCSV(w io.Writer, as []Assignment, members []Member, shifts Shifts) error {
	if _, err := w.Write(utf8BOM); err != nil {
		return fmt.Errorf("export roster csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // what Excel writes and expects
	if err := cw.Write(exportHeader); err != nil {
		return fmt.Errorf("export roster csv: %w", err)
	}
	if err := cw.WriteAll(exportRows(as, members, shifts)); err != nil {
		return fmt.Errorf("export roster csv: %w", err)
	}
	return nil
}

// exportSheet is the worksheet name of an exported XLSX.
const exportSheet = "排班表"

// ExportXLSX writes assignments as a one-sheet Excel workbook with the
// same columns as ExportCSV. Dates are text (2026-12-25), which reads the
// same in every locale.
func ExportXLSX(w io.Writer, as []Assignment, members []Member, shifts Shifts) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", exportSheet); err != nil {
		return fmt.Errorf("export roster xlsx: %w", err)
	}
	sw, err := f.NewStreamWriter(exportSheet)
	if err != nil {
		return fmt.Errorf("export roster xlsx: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("export roster xlsx: %w", err)
	}
	for i, width := range []float64{12, 10, 10, 12, 16} {
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return fmt.Errorf("export roster xlsx: %w", err)
		}
	}
	header := make([]any, len(exportHeader))
	for i, h := range exportHeader {
		header[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return fmt.Errorf("export roster xlsx: %w", err)
	}
	for i, r := range exportRows(as, members, shifts) {
		cells := make([]any, len(r))
		for j, v := range r {
			cells[j] = v
		}
		if err := sw.SetRow(fmt.Sprintf("A%d", i+2), cells); err != nil {
			return fmt.Errorf("export roster xlsx: %w", err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("export roster xlsx: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("export roster xlsx: %w", err)
	}
	return nil
}
