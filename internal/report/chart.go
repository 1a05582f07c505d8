package report

import (
	"fmt"
	"image/color"
	"io"
	"os"

	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/font/liberation"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// CJKFontPaths are where Debian's CJK font packages install a font the
// charts can use, in order of preference: fonts-arphic-gbsn00lp (the one
// CI installs: a plain TrueType file with Latin digits), then collections
// that parse on some systems. Not usable and so not listed: the font of
// fonts-droid-fallback (no Latin letters or digits) and
// fonts-wqy-microhei's collection (golang.org/x/image/font/sfnt rejects
// its table offsets).
func CJKFontPaths() []string {
	return []string{
		"/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf",
		"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
		"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	}
}

// ChartFonts are the fonts charts are drawn with. With a CJK font the
// labels are Chinese; without one they are English (the bundled
// Liberation fonts have no Chinese glyphs).
type ChartFonts struct {
	handler text.Handler
	face    font.Font
	// CJK is true when a Chinese font was found; Path is its file.
	CJK  bool
	Path string
}

// FindChartFonts loads the first usable CJK font among paths
// (CJKFontPaths when none are given), or falls back to Liberation Sans
// with English labels. A usable font parses as TrueType/OpenType (or a
// collection) and has glyphs for both Chinese and digits.
func FindChartFonts(paths ...string) ChartFonts {
	if len(paths) == 0 {
		paths = CJKFontPaths()
	}
	for _, p := range paths {
		if f, ok := loadCJKFont(p); ok {
			face := font.Font{Typeface: "CJK"}
			return ChartFonts{
				handler: text.Plain{Fonts: font.NewCache(font.Collection{{Font: face, Face: f}})},
				face:    face, CJK: true, Path: p,
			}
		}
	}
	return ChartFonts{
		handler: text.Plain{Fonts: font.NewCache(liberation.Collection())},
		face:    font.Font{Typeface: "Liberation", Variant: "Sans"},
	}
}

// loadCJKFont parses the font file at path, if it has what a chart needs.
func loadCJKFont(path string) (*opentype.Font, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	f, err := opentype.Parse(data)
	if err != nil {
		c, cerr := opentype.ParseCollection(data)
		if cerr != nil || c.NumFonts() == 0 {
			return nil, false
		}
		if f, err = c.Font(0); err != nil {
			return nil, false
		}
	}
	var buf sfnt.Buffer
	for _, r := range "值班事件0129" {
		if idx, err := f.GlyphIndex(&buf, r); err != nil || idx == 0 {
			return nil, false
		}
	}
	return f, true
}

// style sets a plot's text to the fonts.
func (cf ChartFonts) style(p *plot.Plot) {
	p.TextHandler = cf.handler
	for _, s := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle, &p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		s.Handler = cf.handler
		s.Font = font.From(cf.face, s.Font.Size)
	}
	p.Title.TextStyle.Font.Size = 14
}

// label picks the Chinese or the English text.
func (cf ChartFonts) label(zh, en string) string {
	if cf.CJK {
		return zh
	}
	return en
}

// levelColors are the levels' bar colours (一般 … 特别重大: blue, yellow,
// orange, red — the warning colours offices use).
var levelColors = [4]color.RGBA{{0x41, 0x7b, 0xc4, 0xff}, {0xe8, 0xc3, 0x2c, 0xff}, {0xee, 0x7d, 0x20, 0xff}, {0xc6, 0x28, 0x28, 0xff}}

var levelEnglish = [4]string{"general", "large", "major", "severe"}

// Chart writes a PNG of two panels: the reports per day (per month for a
// year) stacked by level, and the escalations by outcome.
func (st Stats) Chart(w io.Writer, cf ChartFonts) error {
	if cf.handler == nil {
		cf = FindChartFonts()
	}
	reports, err := st.reportsPlot(cf)
	if err != nil {
		return err
	}
	outcomes, err := st.outcomesPlot(cf)
	if err != nil {
		return err
	}
	img := vgimg.New(30*vg.Centimeter, 12*vg.Centimeter)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Centimeter, PadTop: vg.Millimeter * 4, PadBottom: vg.Millimeter * 4,
		PadLeft: vg.Millimeter * 4, PadRight: vg.Millimeter * 4}
	// The daily panel is wider: draw it on two thirds of the canvas.
	left := dc
	left.Max.X = dc.Min.X + (dc.Max.X-dc.Min.X)*2/3
	right := dc
	right.Min.X = left.Max.X
	reports.Draw(draw.Tiles{Rows: 1, Cols: 1, PadTop: tiles.PadTop, PadBottom: tiles.PadBottom, PadLeft: tiles.PadLeft, PadRight: tiles.PadRight}.At(left, 0, 0))
	outcomes.Draw(draw.Tiles{Rows: 1, Cols: 1, PadTop: tiles.PadTop, PadBottom: tiles.PadBottom, PadLeft: tiles.PadLeft, PadRight: tiles.PadRight}.At(right, 0, 0))
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w); err != nil {
		return fmt.Errorf("statistics chart: %w", err)
	}
	return nil
}

func (st Stats) reportsPlot(cf ChartFonts) (*plot.Plot, error) {
	p := plot.New()
	cf.style(p)
	unit := cf.label("日", "day")
	if st.Period.Year {
		unit = cf.label("月", "month")
	}
	p.Title.Text = cf.label(st.Period.Label()+" 每"+unit+"事件（按级别）", fmt.Sprintf("Reports per %s by level, %s", unit, st.Period.From.String()[:7]))
	if st.Period.Year {
		p.Title.Text = cf.label(st.Period.Label()+" 每月事件（按级别）", fmt.Sprintf("Reports per month by level, %d", st.Period.From.Year))
	}
	p.Y.Label.Text = cf.label("件", "reports")
	p.Y.Min = 0
	width := vg.Points(7)
	if st.Period.Year {
		width = vg.Points(18)
	}
	labels := make([]string, len(st.Series))
	var below *plotter.BarChart
	for lvl := range 4 {
		vs := make(plotter.Values, len(st.Series))
		for i, pt := range st.Series {
			vs[i] = float64(pt.ByLevel[lvl])
			labels[i] = pt.Label
		}
		bars, err := plotter.NewBarChart(vs, width)
		if err != nil {
			return nil, fmt.Errorf("statistics chart: %w", err)
		}
		bars.Color = levelColors[lvl]
		bars.LineStyle.Width = 0
		if below != nil {
			bars.StackOn(below)
		}
		below = bars
		p.Add(bars)
		p.Legend.Add(cf.label(levelLabels()[lvl], levelEnglish[lvl]), bars)
	}
	if st.Period.Year && !cf.CJK {
		for i := range labels {
			labels[i] = fmt.Sprint(i + 1)
		}
	}
	p.NominalX(labels...)
	p.Legend.Top = true
	// Head room above the tallest bar for the legend.
	p.Y.Max = float64(int(p.Y.Max*1.5 + 1.5))
	p.Y.Tick.Marker = plot.ConstantTicks(integerTicks(p.Y.Max))
	return p, nil
}

func (st Stats) outcomesPlot(cf ChartFonts) (*plot.Plot, error) {
	p := plot.New()
	cf.style(p)
	p.Title.Text = cf.label("告警结果", "Escalations by outcome")
	p.Y.Label.Text = cf.label("条", "escalations")
	english := map[string]string{OutcomeAcked: "acked", OutcomeResolved: "resolved", OutcomeExhausted: "exhausted", OutcomeOpen: "open"}
	vs := make(plotter.Values, len(st.Outcomes))
	labels := make([]string, len(st.Outcomes))
	for i, o := range st.Outcomes {
		vs[i] = float64(o.N)
		labels[i] = cf.label(o.Label, english[o.Label])
	}
	if len(vs) == 0 {
		vs, labels = plotter.Values{0}, []string{cf.label("无", "none")}
	}
	bars, err := plotter.NewBarChart(vs, vg.Points(28))
	if err != nil {
		return nil, fmt.Errorf("statistics chart: %w", err)
	}
	bars.Color = color.RGBA{0x41, 0x7b, 0xc4, 0xff}
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.NominalX(labels...)
	p.Y.Min = 0
	p.Y.Tick.Marker = plot.ConstantTicks(integerTicks(p.Y.Max))
	return p, nil
}

// integerTicks marks whole numbers from 0 to max (at most ~10 marks).
func integerTicks(max float64) []plot.Tick {
	top := int(max + 0.5)
	if top < 1 {
		top = 1
	}
	step := 1
	for top/step > 10 {
		step++
	}
	var ts []plot.Tick
	for v := 0; v <= top; v += step {
		ts = append(ts, plot.Tick{Value: float64(v), Label: fmt.Sprint(v)})
	}
	return ts
}
