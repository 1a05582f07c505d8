package report

import (
	"encoding/csv"
	"fmt"
	"io"
)

// utf8BOM starts the CSV so that Excel reads it as UTF-8 (Chinese).
const utf8BOM = "\ufeff"

// CSV writes the figures as one "指标,值" table, UTF-8 with a BOM.
func (st Stats) CSV(w io.Writer) error {
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return fmt.Errorf("statistics csv: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"指标", "值"}); err != nil {
		return fmt.Errorf("statistics csv: %w", err)
	}
	for _, r := range st.Rows() {
		if err := cw.Write([]string{r.Name, r.Value}); err != nil {
			return fmt.Errorf("statistics csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("statistics csv: %w", err)
	}
	return nil
}
