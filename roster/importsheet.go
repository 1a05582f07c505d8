package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// This file turns the bytes of a roster file (CSV or XLSX) into rows of
// text cells, numbered as a spreadsheet program shows them. importfile.go
// makes sense of the rows.

// MaxImportBytes is the largest roster file accepted (a year of a big
// office's roster is well under 1 MiB).
const MaxImportBytes = 10 << 20

// MaxImportRows is the most data rows one import may hold.
const MaxImportRows = 20000

// xlsxUnzipLimit bounds what an XLSX may unpack to, so a zip bomb is refused
// instead of filling memory.
const xlsxUnzipLimit = 128 << 20

// xlsxMemoryLimit is how much of a worksheet excelize unpacks in memory;
// larger parts go through a temporary file.
const xlsxMemoryLimit = 16 << 20

// sheetRow is one row of a sheet: its number as a spreadsheet program (or a
// text editor, for CSV) shows it, and its cells, trimmed.
type sheetRow struct {
	num   int
	cells []string
}

// blank reports whether every cell of r is empty.
func (r sheetRow) blank() bool {
	for _, c := range r.cells {
		if c != "" {
			return false
		}
	}
	return true
}

// cell returns cell i, or "" past the end of a short row.
func (r sheetRow) cell(i int) string {
	if i < 0 || i >= len(r.cells) {
		return ""
	}
	return r.cells[i]
}

// sheet is the table read from a file.
type sheet struct {
	name string // XLSX worksheet name; "" for CSV
	rows []sheetRow
	// serialDates: numbers in the date column are Excel date serials
	// (XLSX cells are read raw, so a date cell arrives as e.g. "46381").
	serialDates bool
	date1904    bool
}

// fileKind is what a roster file holds.
type fileKind int

const (
	kindCSV fileKind = iota
	kindXLSX
)

var (
	zipMagic = []byte("PK\x03\x04")
	// oleMagic starts Compound File Binary files: old .xls, and
	// password-protected .xlsx.
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// acceptedFiles is said whenever a file is not one we read.
const acceptedFiles = "请发送 .xlsx（Excel 工作簿）或 .csv（逗号分隔，UTF-8 或 GBK 编码）文件，列为 日期、班次、角色、人员"

// detectKind decides how to read a file from its name and first bytes. A
// non-empty problem is a sentence for the member saying why the file is
// not read.
func detectKind(name string, data []byte) (fileKind, string) {
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case bytes.HasPrefix(data, oleMagic) || ((ext == ".xls" || ext == ".et") && !bytes.HasPrefix(data, zipMagic)):
		return 0, "这是旧版 Excel（.xls）或加密的工作簿，无法读取：请在 Excel 中「另存为」.xlsx 或 .csv（不设密码）后重新发送"
	case ext == ".xlsx" || ext == ".xlsm" || ext == ".xls" || ext == ".et":
		if !bytes.HasPrefix(data, zipMagic) {
			return 0, fmt.Sprintf("文件「%s」不是有效的 XLSX 工作簿（内容不是 Excel 格式）：%s", name, acceptedFiles)
		}
		return kindXLSX, ""
	case ext == ".csv" || ext == ".txt" || ext == ".tsv":
		if bytes.HasPrefix(data, zipMagic) {
			return 0, fmt.Sprintf("文件「%s」名为 CSV，内容却是压缩包或 Excel 工作簿：请把扩展名改为 .xlsx，或在 Excel 中另存为 CSV", name)
		}
		return kindCSV, ""
	case ext == "":
		if bytes.HasPrefix(data, zipMagic) {
			return kindXLSX, ""
		}
		return kindCSV, ""
	}
	return 0, fmt.Sprintf("文件「%s」不是排班表：%s", name, acceptedFiles)
}

// readSheets reads every worksheet of an XLSX, or the one table of a CSV.
func readSheets(name string, data []byte) ([]sheet, string) {
	if len(bytes.TrimSpace(bytes.TrimPrefix(data, utf8BOM))) == 0 {
		return nil, emptyFile
	}
	if len(data) > MaxImportBytes {
		return nil, fmt.Sprintf("文件太大（%d KB）：排班表文件不能超过 %d MB", len(data)/1024, MaxImportBytes>>20)
	}
	kind, problem := detectKind(name, data)
	if problem != "" {
		return nil, problem
	}
	if kind == kindXLSX {
		return readXLSX(data)
	}
	sh, problem := readCSV(data)
	if problem != "" {
		return nil, problem
	}
	return []sheet{sh}, ""
}

const emptyFile = "文件是空的：请按模板填写表头（日期、班次、角色、人员）和排班行后再发送"

var utf8BOM = []byte("\xef\xbb\xbf")

// decodeText returns a CSV file's text: UTF-8 (with or without BOM),
// UTF-16 with a BOM (Excel's "Unicode text"), or else GBK/GB18030, which is
// what Excel on Chinese Windows writes for "CSV (逗号分隔)".
func decodeText(data []byte) (string, string) {
	const badEncoding = "文件编码无法识别：请在 Excel 中另存为「CSV UTF-8（逗号分隔）」，或使用 GBK 编码"
	switch {
	case bytes.HasPrefix(data, utf8BOM):
		data = data[len(utf8BOM):]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		text, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil {
			return "", badEncoding
		}
		data = text
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return "", "文件不是文本格式的 CSV（含有二进制内容）：" + acceptedFiles
	}
	if utf8.Valid(data) {
		return string(data), ""
	}
	text, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil || bytes.ContainsRune(text, utf8.RuneError) {
		return "", badEncoding
	}
	return string(text), ""
}

// sniffDelimiter picks the separator from the first few non-empty lines:
// comma unless tabs or semicolons (some Excel locales) are clearly meant.
func sniffDelimiter(text string) rune {
	var head strings.Builder
	n := 0
	for l := range strings.Lines(text) {
		if strings.TrimSpace(l) == "" {
			continue
		}
		head.WriteString(l)
		if n++; n == 5 {
			break
		}
	}
	best, most := ',', strings.Count(head.String(), ",")
	for _, d := range []rune{'\t', ';'} {
		if c := strings.Count(head.String(), string(d)); c > most {
			best, most = d, c
		}
	}
	return best
}

// readCSV reads a CSV file. Rows are numbered by the line they start on,
// which is what Excel and a text editor show for ordinary files.
func readCSV(data []byte) (sheet, string) {
	text, problem := decodeText(data)
	if problem != "" {
		return sheet{}, problem
	}
	if strings.TrimSpace(text) == "" {
		return sheet{}, emptyFile
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = sniffDelimiter(text)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var sh sheet
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return sheet{}, fmt.Sprintf("第 %d 行：CSV 格式有误（%v）：请用 Excel 或 WPS 另存为 CSV", pe.StartLine, pe.Err)
			}
			return sheet{}, fmt.Sprintf("CSV 无法读取（%v）", err)
		}
		line, _ := r.FieldPos(0)
		sh.rows = append(sh.rows, sheetRow{num: line, cells: trimCells(rec)})
		if len(sh.rows) > MaxImportRows+10 {
			return sheet{}, fmt.Sprintf("文件超过 %d 行：请分成几个文件导入", MaxImportRows)
		}
	}
	return sh, ""
}

// readXLSX reads every worksheet of a workbook. Cells are read raw (dates
// as serial numbers, not in the cell's display format, which may be an
// ambiguous "12-25-26"), and a merged range (a date written once beside all
// of that day's rows is common) gives its value to every cell it covers.
func readXLSX(data []byte) ([]sheet, string) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit: xlsxUnzipLimit, UnzipXMLSizeLimit: xlsxMemoryLimit,
	})
	if err != nil {
		return nil, "无法读取 XLSX 工作簿（文件可能已损坏、加密，或不是 Excel 表格）：请在 Excel 中另存为 .xlsx 或 .csv 后重新发送"
	}
	defer f.Close()
	date1904 := false
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		date1904 = *props.Date1904
	}
	var sheets []sheet
	for _, name := range f.GetSheetList() {
		rows, problem := sheetRows(f, name)
		if problem != "" {
			return nil, problem
		}
		merged, err := f.GetMergeCells(name)
		if err != nil {
			return nil, fmt.Sprintf("工作表「%s」无法读取（%v）", name, err)
		}
		fillMerged(rows, merged)
		sh := sheet{name: name, serialDates: true, date1904: date1904}
		for i, cells := range rows {
			sh.rows = append(sh.rows, sheetRow{num: i + 1, cells: trimCells(cells)})
		}
		sheets = append(sheets, sh)
	}
	return sheets, ""
}

// sheetRows reads the cells of one worksheet, raw, row by row (empty rows
// included, so indexes are row numbers - 1), refusing a sheet with more
// rows than an import may hold before reading all of it.
func sheetRows(f *excelize.File, name string) ([][]string, string) {
	unreadable := func(err error) string {
		return fmt.Sprintf("工作表「%s」无法读取（%v）：请在 Excel 中另存为 .xlsx 或 .csv 后重新发送", name, err)
	}
	it, err := f.Rows(name)
	if err != nil {
		return nil, unreadable(err)
	}
	defer it.Close()
	var rows [][]string
	for it.Next() {
		if len(rows) == MaxImportRows+10 {
			return nil, fmt.Sprintf("工作表「%s」超过 %d 行：请分成几个文件导入", name, MaxImportRows)
		}
		cells, err := it.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, unreadable(err)
		}
		rows = append(rows, cells)
	}
	if err := it.Error(); err != nil {
		return nil, unreadable(err)
	}
	return rows, ""
}

// fillMerged copies the top-left value of each merged range into the other
// cells of the range.
func fillMerged(rows [][]string, merged []excelize.MergeCell) {
	for _, m := range merged {
		c1, r1, err1 := excelize.CellNameToCoordinates(m.GetStartAxis())
		c2, r2, err2 := excelize.CellNameToCoordinates(m.GetEndAxis())
		if err1 != nil || err2 != nil || r1 > len(rows) || r2-r1 > MaxImportRows {
			continue
		}
		top := rows[r1-1]
		if c1 > len(top) {
			continue
		}
		v := top[c1-1]
		for r := r1; r <= min(r2, len(rows)); r++ {
			for len(rows[r-1]) < c2 {
				rows[r-1] = append(rows[r-1], "")
			}
			for c := c1; c <= c2; c++ {
				rows[r-1][c-1] = v
			}
		}
	}
}

// trimCells trims white space (including full-width spaces and a stray
// BOM) around every cell.
func trimCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = strings.TrimSpace(strings.Trim(c, "\ufeff\u3000 \t\r\n"))
	}
	return out
}
