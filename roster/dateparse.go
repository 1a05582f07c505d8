package roster

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// This file reads the dates officers and admins type into the bot on their
// phones: "明天", "周五", "下周一", "12月25日", "12-25", "2026-12-25", and for
// periods "本周", "下个月", "12月", "12-01至12-07". Nothing here reads the clock:
// every relative form is taken from the today passed in.

// DateErrorKind says what was wrong with a date a user typed.
type DateErrorKind int

const (
	// DateUnrecognised: the text is not a form the bot reads ("abc", "").
	DateUnrecognised DateErrorKind = iota
	// DateImpossible: a form the bot reads, but no such day exists
	// ("2026-02-30", "13-01", "周八").
	DateImpossible
	// DateOutOfRange: a written year outside 1900–2999.
	DateOutOfRange
	// DateReversed: a range whose end is before its start.
	DateReversed
)

// DateError is why ParseDay or ParsePeriod refused its input. Its Error()
// is a Chinese sentence meant to be sent back in the chat as it is: it says
// what was wrong and, where that helps, which forms are accepted.
type DateError struct {
	Kind DateErrorKind
	// Input is the part of the text at fault, with surrounding spaces trimmed
	// (for a range, the bad end; for a reversed range, the whole range).
	Input string
	// Reason completes the sentence: the accepted forms for DateUnrecognised,
	// why the day does not exist for DateImpossible ("2月只有28天"), the
	// accepted years for DateOutOfRange, the two ends for DateReversed.
	Reason string
}

func (e *DateError) Error() string {
	switch e.Kind {
	case DateImpossible:
		return fmt.Sprintf("%s 不存在（%s）。", e.Input, e.Reason)
	case DateOutOfRange:
		return fmt.Sprintf("%s 超出范围（%s）。", e.Input, e.Reason)
	case DateReversed:
		return fmt.Sprintf("日期范围「%s」有误：%s", e.Input, e.Reason)
	}
	reason := e.Reason
	if reason == "" {
		reason = dayFormsHint
	}
	if e.Input == "" {
		return "请写上日期：" + reason
	}
	return fmt.Sprintf("无法识别日期「%s」：%s", e.Input, reason)
}

const (
	dayFormsHint    = "可用 2026-12-25、12-25、12月25日、明天、周五、下周一 等写法。"
	periodFormsHint = "可用 本周、下周、本月、12月、12-01至12-07，或 明天、周五、12月25日 等单日写法。"

	minWrittenYear = 1900
	maxWrittenYear = 2999

	// maxDateText is the longest text, in characters, read as a date or
	// period; the longest real forms are about half of it. Longer text is
	// refused at once, and quoted only in part.
	maxDateText = 64

	// pastDays is how far back a date written without a year may lie and
	// still be read as this year's: further back, it is next year's.
	pastDays = 60
)

// ParseDay reads one duty day. today is the current date in the office's
// time zone; relative forms are counted from it. Accepted, after trimming
// spaces (spaces inside are ignored, English is case-insensitive and
// full-width digits and punctuation are read as half-width):
//
//   - with a year: 2026-12-25, 2026/12/25, 2026.12.25, 20261225, 2026年12月25日;
//   - without a year: 12-25, 12/25, 12.25, 12月25日, 12月25号. The year is
//     today's, or the next one if that date would be more than 60 days in the
//     past (on 2026-12-28, "1-5" is 2027-01-05; on 2026-11-23, "10-01" is
//     2026-10-01 but "9-1" is 2027-09-01). It is never a past year: on
//     2027-01-05 "12-30" is 2027-12-30, so last December needs its year;
//   - day of this month: 25日, 25号;
//   - relative: 今天/today, 明天/tomorrow, 后天, 大后天, 昨天/yesterday, 前天, 大前天;
//   - weekdays (一二三四五六日天, or 1–7; 日, 天 and 7 are Sunday; English names
//     and their three-letter forms):
//     周五/星期五/礼拜五/fri/friday is the next Friday, today if today is one;
//     本周五/这周五/this friday is the Friday of the current Monday–Sunday week,
//     past or not; 下周五/next friday is the Friday of next week; 上周五/last
//     friday that of last week.
//
// Errors are *DateError.
func ParseDay(s string, today Date) (Date, error) {
	text := normaliseDateText(s)
	if derr := checkDateTextLength(text, dayFormsHint); derr != nil {
		return Date{}, derr
	}
	sp, derr := parseDaySpec(text, today)
	if derr != nil {
		if derr.Kind == DateUnrecognised && text != "" {
			// A period where a day was wanted: say so rather than "unrecognised".
			if _, perr := parsePeriodSpec(text, today); perr == nil {
				derr.Reason = "这是一段时间，请写具体哪一天，如 明天、下周一、12月25日。"
			}
		}
		return Date{}, derr
	}
	d, _, derr := sp.resolve(today)
	if derr != nil {
		return Date{}, derr
	}
	return d, nil
}

// ParsePeriod reads an inclusive range of days. Accepted:
//
//   - any ParseDay form, for that one day (from = to);
//   - weeks, Monday to Sunday: 本周/这周/this week, 下周/next week, 上周/last week,
//     and 周末/本周末/下周末 for the Saturday and Sunday of that week;
//   - months: 本月/this month, 下月/下个月/next month, 上月/上个月/last month,
//     2026年12月, 2026-12, 2026/12, and 12月 (or 12月份) without a year, which is
//     this year's unless that month ended more than 60 days ago, then next
//     year's — so a month is this year's whenever any of its days would be for
//     ParseDay;
//   - ranges "A至B", "A到B", "A~B", "A～B", "A——B", "A-B", "A - B", "A to B"
//     (also "从A到B", "from A to B"), where A and B are any of the forms above;
//     the range runs from the start of A to the end of B. A bare "-" is taken
//     as the separator only where exactly one "-" splits the text into two
//     dates ("12-01-12-07"); otherwise the reply asks for "至".
//
// In a range the ends help each other: an end written without a year takes
// the other end's year, and the month going down means the range crosses into
// a new year ("12-28至1-3" is 2026-12-28..2027-01-03; so "3-1至2-28" runs
// almost a year, and callers should echo the range they read). When both ends
// lack a year, the end's year is found as for a single date, and the start
// follows it. A day of the month alone as the end takes the start's month
// ("12月25日至28日", "12-25~28"); a bare weekday as the end is the first such
// day on or after the start ("周一到周五": the coming Monday to the Friday
// after it). An end before the start is an error; so is a same-month range
// written backwards ("12-05至12-01", "12月25日至20日").
//
// Errors are *DateError.
func ParsePeriod(s string, today Date) (from, to Date, err error) {
	text := normaliseDateText(s)
	if text == "" {
		return Date{}, Date{}, &DateError{Kind: DateUnrecognised, Reason: periodFormsHint}
	}
	if derr := checkDateTextLength(text, periodFormsHint); derr != nil {
		return Date{}, Date{}, derr
	}
	sp, derr := parsePeriodSpec(text, today)
	if derr == nil {
		from, to, derr = sp.resolve(today)
	} else if derr.Kind == DateUnrecognised {
		if a, b, ok, rerr := splitRange(text, today); rerr != nil {
			derr = rerr
		} else if ok {
			from, to, derr = resolveRange(a, b, text, today)
		} else {
			derr.Reason = periodFormsHint
		}
	}
	if derr != nil {
		return Date{}, Date{}, derr
	}
	return from, to, nil
}

// checkDateTextLength refuses text too long to be a date.
func checkDateTextLength(text, hint string) *DateError {
	if utf8.RuneCountInString(text) <= maxDateText {
		return nil
	}
	short := []rune(text)[:16]
	return &DateError{Kind: DateUnrecognised, Input: string(short) + "…", Reason: hint}
}

// specKind is how much of a date the user wrote.
type specKind int

const (
	specFixed    specKind = iota // from..to known (a day, a week, a month with its year)
	specMonthDay                 // month and day, year to be found
	specMonth                    // a month, year to be found
	specDayOnly                  // day of month, month (and year) to be found
	specWeekday                  // a bare weekday: the next one on or after some day
)

// dateSpec is a parsed but not yet resolved date or period.
type dateSpec struct {
	kind     specKind
	from, to Date
	m, d     int
	wd       time.Weekday
	text     string // as typed, for error messages
}

var (
	reYMD     = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$`)
	reYMD8    = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`)
	reMD      = regexp.MustCompile(`^(\d{1,2})[-/.](\d{1,2})$`)
	reCNDay   = regexp.MustCompile(`^(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]?$`)
	reDayOnly = regexp.MustCompile(`^(\d{1,2})[日号]$`)
	reYM      = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})$`)
	reCNMonth = regexp.MustCompile(`^(?:(\d{4})年)?(\d{1,2})月份?$`)
	reBareDay = regexp.MustCompile(`^\d{1,2}$`)
)

var relativeDays = map[string]int{
	"今天": 0, "今日": 0, "today": 0,
	"明天": 1, "明日": 1, "tomorrow": 1,
	"后天": 2, "大后天": 3,
	"昨天": -1, "昨日": -1, "yesterday": -1,
	"前天": -2, "大前天": -3,
}

var weekdayNames = map[string]time.Weekday{
	"一": time.Monday, "二": time.Tuesday, "三": time.Wednesday, "四": time.Thursday,
	"五": time.Friday, "六": time.Saturday, "日": time.Sunday, "天": time.Sunday,
	"1": time.Monday, "2": time.Tuesday, "3": time.Wednesday, "4": time.Thursday,
	"5": time.Friday, "6": time.Saturday, "7": time.Sunday,
	"monday": time.Monday, "mon": time.Monday,
	"tuesday": time.Tuesday, "tue": time.Tuesday, "tues": time.Tuesday,
	"wednesday": time.Wednesday, "wed": time.Wednesday,
	"thursday": time.Thursday, "thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday,
	"friday": time.Friday, "fri": time.Friday,
	"saturday": time.Saturday, "sat": time.Saturday,
	"sunday": time.Sunday, "sun": time.Sunday,
}

// weekMode is which week a weekday or week word points at.
type weekMode int

const (
	weekComing weekMode = iota // bare "周五": the next one, today included
	weekThis
	weekNext
	weekLast
)

// weekPrefixes are tried in order, longest first; "" is the bare form.
var weekPrefixes = []struct {
	p    string
	mode weekMode
}{
	{"这个", weekThis}, {"下个", weekNext}, {"上个", weekLast},
	{"本", weekThis}, {"这", weekThis}, {"下", weekNext}, {"上", weekLast},
	{"this", weekThis}, {"next", weekNext}, {"last", weekLast},
	{"", weekComing},
}

var weekWords = []string{"星期", "礼拜", "周"}

// parseDaySpec reads the single-day forms of ParseDay. text is normalised.
func parseDaySpec(text string, today Date) (dateSpec, *DateError) {
	c := compactDateText(text)
	if c == "" {
		return dateSpec{}, &DateError{Kind: DateUnrecognised, Reason: dayFormsHint}
	}
	if n, ok := relativeDays[c]; ok {
		return fixedDay(today.AddDays(n), text), nil
	}
	if sp, err, ok := parseWeekday(c, text, today); ok {
		return sp, err
	}
	if m := reYMD.FindStringSubmatch(c); m != nil {
		return writtenDay(text, m[1], m[2], m[3])
	}
	if m := reYMD8.FindStringSubmatch(c); m != nil {
		return writtenDay(text, m[1], m[2], m[3])
	}
	if m := reCNDay.FindStringSubmatch(c); m != nil {
		if m[1] != "" {
			return writtenDay(text, m[1], m[2], m[3])
		}
		return monthDay(text, m[2], m[3])
	}
	if m := reMD.FindStringSubmatch(c); m != nil {
		return monthDay(text, m[1], m[2])
	}
	if m := reDayOnly.FindStringSubmatch(c); m != nil {
		d, _ := strconv.Atoi(m[1])
		if d < 1 || d > 31 {
			return dateSpec{}, impossible(text, dayReason(0, 0, d))
		}
		return dateSpec{kind: specDayOnly, d: d, text: text}, nil
	}
	return dateSpec{}, &DateError{Kind: DateUnrecognised, Input: text, Reason: dayFormsHint}
}

// parseWeekday reads 周五, 下周五, next friday and the like. ok is false when
// c is not a weekday form at all.
func parseWeekday(c, text string, today Date) (sp dateSpec, err *DateError, ok bool) {
	for _, pre := range weekPrefixes {
		rest, found := strings.CutPrefix(c, pre.p)
		if !found {
			continue
		}
		// English: "friday", "next fri".
		if wd, known := weekdayNames[rest]; known && isASCIILetters(rest) {
			return weekdaySpec(wd, pre.mode, today, text), nil, true
		}
		for _, w := range weekWords {
			tail, found := strings.CutPrefix(rest, w)
			if !found {
				continue
			}
			if wd, known := weekdayNames[tail]; known && !isASCIILetters(tail) {
				return weekdaySpec(wd, pre.mode, today, text), nil, true
			}
			if utf8.RuneCountInString(tail) == 1 && strings.ContainsAny(tail, "零〇八九十0123456789") {
				return dateSpec{}, impossible(text, "一周只有周一到周日"), true
			}
			return dateSpec{}, nil, false
		}
	}
	return dateSpec{}, nil, false
}

func weekdaySpec(wd time.Weekday, mode weekMode, today Date, text string) dateSpec {
	if mode == weekComing {
		return dateSpec{kind: specWeekday, wd: wd, from: nextWeekday(today, wd), to: nextWeekday(today, wd), text: text}
	}
	monday := weekMonday(today)
	switch mode {
	case weekNext:
		monday = monday.AddDays(7)
	case weekLast:
		monday = monday.AddDays(-7)
	}
	return fixedDay(monday.AddDays(weekdayIndex(wd)), text)
}

// parsePeriodSpec reads the forms of ParsePeriod other than ranges.
func parsePeriodSpec(text string, today Date) (dateSpec, *DateError) {
	c := compactDateText(text)
	if sp, ok := namedPeriod(c, text, today); ok {
		return sp, nil
	}
	if m := reYM.FindStringSubmatch(c); m != nil {
		return writtenMonth(text, m[1], m[2])
	}
	if m := reCNMonth.FindStringSubmatch(c); m != nil {
		if m[1] != "" {
			return writtenMonth(text, m[1], m[2])
		}
		mo, _ := strconv.Atoi(m[2])
		if mo < 1 || mo > 12 {
			return dateSpec{}, impossible(text, monthReason(mo))
		}
		return dateSpec{kind: specMonth, m: mo, text: text}, nil
	}
	sp, err := parseDaySpec(text, today)
	if err != nil && err.Kind == DateUnrecognised && err.Input != "" {
		err.Reason = periodFormsHint
	}
	return sp, err
}

// namedPeriod reads 本周, 下周末, 下个月, next week and the like.
func namedPeriod(c, text string, today Date) (dateSpec, bool) {
	switch c {
	case "周末", "weekend":
		c = "本周末"
	}
	for _, pre := range weekPrefixes {
		if pre.mode == weekComing {
			continue
		}
		rest, found := strings.CutPrefix(c, pre.p)
		if !found {
			continue
		}
		shift := 0
		switch pre.mode {
		case weekNext:
			shift = 1
		case weekLast:
			shift = -1
		}
		monday := weekMonday(today).AddDays(7 * shift)
		switch rest {
		case "周", "星期", "礼拜", "week":
			return dateSpec{kind: specFixed, from: monday, to: monday.AddDays(6), text: text}, true
		case "周末", "weekend":
			return dateSpec{kind: specFixed, from: monday.AddDays(5), to: monday.AddDays(6), text: text}, true
		case "月", "month":
			first := NewDate(today.Year, today.Month+time.Month(shift), 1)
			return monthSpec(first.Year, first.Month, text), true
		}
	}
	if c == "当月" {
		return monthSpec(today.Year, today.Month, text), true
	}
	return dateSpec{}, false
}

// splitRange finds the two ends of a range. ok is false when text is not a
// range; err reports an end that is recognisably a date but a wrong one.
func splitRange(text string, today Date) (a, b dateSpec, ok bool, err *DateError) {
	lower := asciiLower(text)
	for _, p := range []string{"从", "自", "from "} {
		if strings.HasPrefix(lower, p) {
			text, lower = strings.TrimSpace(text[len(p):]), strings.TrimSpace(lower[len(p):])
			break
		}
	}
	for _, sep := range []string{"至", "到", "~", " to ", "——", "—", "–", " - "} {
		if strings.Count(lower, sep) != 1 {
			continue
		}
		i := strings.Index(lower, sep)
		return rangeEnds(strings.TrimSpace(text[:i]), strings.TrimSpace(text[i+len(sep):]), today)
	}
	// A bare "-" is also the separator inside 12-25: try each one, and take
	// the split if exactly one reads as two dates (12-01-12-05). A split whose
	// ends are recognisable but wrong (12-01-12-40) counts, for its message.
	type split struct {
		a, b dateSpec
		ok   bool
		err  *DateError
	}
	c := strings.ReplaceAll(text, " ", "")
	var found []split
	for i := 0; i < len(c); i++ {
		if c[i] != '-' {
			continue
		}
		a, b, ok, err := rangeEnds(c[:i], c[i+1:], today)
		if ok || (err != nil && err.Kind != DateUnrecognised) {
			found = append(found, split{a, b, ok, err})
		}
	}
	switch len(found) {
	case 0:
		return dateSpec{}, dateSpec{}, false, nil
	case 1:
		return found[0].a, found[0].b, found[0].ok, found[0].err
	}
	return dateSpec{}, dateSpec{}, false, &DateError{Kind: DateUnrecognised, Input: text,
		Reason: "分不清从哪天到哪天，请用「至」隔开，如 12-01至12-07。"}
}

// rangeEnds parses both ends of a range.
func rangeEnds(left, right string, today Date) (a, b dateSpec, ok bool, err *DateError) {
	if left == "" || right == "" {
		return dateSpec{}, dateSpec{}, false, nil
	}
	a, err = parsePeriodSpec(left, today)
	if err != nil {
		return dateSpec{}, dateSpec{}, false, err
	}
	if reBareDay.MatchString(right) { // "12-25~28": the end's day of month
		d, _ := strconv.Atoi(right)
		if d < 1 || d > 31 {
			return dateSpec{}, dateSpec{}, false, impossible(right, dayReason(0, 0, d))
		}
		return a, dateSpec{kind: specDayOnly, d: d, text: right}, true, nil
	}
	b, err = parsePeriodSpec(right, today)
	if err != nil {
		return dateSpec{}, dateSpec{}, false, err
	}
	return a, b, true, nil
}

// resolveRange resolves the two ends of a range against each other (see
// ParsePeriod) and checks their order.
func resolveRange(a, b dateSpec, text string, today Date) (from, to Date, err *DateError) {
	switch {
	case b.kind == specDayOnly || b.kind == specWeekday:
		// The end leans on the start: "12月25日至28日", "周一到周五".
		var aTo Date
		if from, aTo, err = a.resolve(today); err != nil {
			return Date{}, Date{}, err
		}
		if b.kind == specWeekday {
			to = nextWeekday(aTo, b.wd)
		} else if to, err = b.dayIn(aTo.Year, aTo.Month); err != nil {
			return Date{}, Date{}, err
		}
	case a.kind == specMonthDay || a.kind == specMonth:
		// The start leans on the end: "12-28至1-3", "12-20至明天".
		var bTo Date
		if _, bTo, err = b.resolve(today); err != nil {
			return Date{}, Date{}, err
		}
		y := bTo.Year
		if time.Month(a.m) > bTo.Month {
			y--
		}
		if from, _, err = a.inYear(y); err != nil {
			return Date{}, Date{}, err
		}
		to = bTo
	case b.kind == specMonthDay || b.kind == specMonth:
		// The end leans on the start: "2026-12-28至1-3", "今天至1月5日".
		if from, _, err = a.resolve(today); err != nil {
			return Date{}, Date{}, err
		}
		y := from.Year
		if time.Month(b.m) < from.Month {
			y++
		}
		if _, to, err = b.inYear(y); err != nil {
			return Date{}, Date{}, err
		}
	default:
		if from, _, err = a.resolve(today); err != nil {
			return Date{}, Date{}, err
		}
		if _, to, err = b.resolve(today); err != nil {
			return Date{}, Date{}, err
		}
	}
	if to.Before(from) {
		return Date{}, Date{}, &DateError{Kind: DateReversed, Input: text,
			Reason: fmt.Sprintf("结束日 %s 早于开始日 %s，请把早的日期写在前面。", to, from)}
	}
	return from, to, nil
}

// resolve turns a spec into dates on its own, from today.
func (sp dateSpec) resolve(today Date) (from, to Date, err *DateError) {
	switch sp.kind {
	case specMonthDay:
		y := today.Year
		if today.DaysUntil(Date{y, time.Month(sp.m), min(sp.d, daysIn(y, time.Month(sp.m)))}) < -pastDays {
			y++
		}
		return sp.inYear(y)
	case specMonth:
		y := today.Year
		if today.DaysUntil(Date{y, time.Month(sp.m), daysIn(y, time.Month(sp.m))}) < -pastDays {
			y++
		}
		return sp.inYear(y)
	case specDayOnly:
		d, err := sp.dayIn(today.Year, today.Month)
		return d, d, err
	}
	return sp.from, sp.to, nil
}

// inYear places a yearless month-day or month in year y.
func (sp dateSpec) inYear(y int) (from, to Date, err *DateError) {
	m := time.Month(sp.m)
	if sp.kind == specMonth {
		return Date{y, m, 1}, Date{y, m, daysIn(y, m)}, nil
	}
	if sp.d > daysIn(y, m) {
		return Date{}, Date{}, impossible(sp.text, dayReason(y, m, sp.d))
	}
	return Date{y, m, sp.d}, Date{y, m, sp.d}, nil
}

// dayIn places a day of the month in y-m.
func (sp dateSpec) dayIn(y int, m time.Month) (Date, *DateError) {
	if sp.d > daysIn(y, m) {
		return Date{}, impossible(sp.text, dayReason(y, m, sp.d))
	}
	return Date{y, m, sp.d}, nil
}

func fixedDay(d Date, text string) dateSpec {
	return dateSpec{kind: specFixed, from: d, to: d, text: text}
}

func monthSpec(y int, m time.Month, text string) dateSpec {
	return dateSpec{kind: specFixed, from: Date{y, m, 1}, to: Date{y, m, daysIn(y, m)}, text: text}
}

// writtenDay checks a date written with its year.
func writtenDay(text, ys, ms, ds string) (dateSpec, *DateError) {
	y, _ := strconv.Atoi(ys)
	m, _ := strconv.Atoi(ms)
	d, _ := strconv.Atoi(ds)
	if y < minWrittenYear || y > maxWrittenYear {
		return dateSpec{}, outOfRange(text)
	}
	if err := checkMonthDay(text, y, m, d); err != nil {
		return dateSpec{}, err
	}
	return fixedDay(Date{y, time.Month(m), d}, text), nil
}

// monthDay checks a date written without its year, as far as it can be
// checked without one (2-29 waits for its year).
func monthDay(text, ms, ds string) (dateSpec, *DateError) {
	m, _ := strconv.Atoi(ms)
	d, _ := strconv.Atoi(ds)
	if err := checkMonthDay(text, 0, m, d); err != nil {
		return dateSpec{}, err
	}
	return dateSpec{kind: specMonthDay, m: m, d: d, text: text}, nil
}

// checkMonthDay rejects a month outside 1–12 or a day the month does not
// have in year y (0: unknown, when February may have 29). When both are out of any range ("13月40日", "99/99") the text is taken for
// something other than a date, and the reply lists the accepted forms.
func checkMonthDay(text string, y, m, d int) *DateError {
	badMonth, badDay := m < 1 || m > 12, d < 1 || d > 31
	switch {
	case badMonth && badDay:
		return &DateError{Kind: DateUnrecognised, Input: text, Reason: dayFormsHint}
	case badMonth:
		return impossible(text, monthReason(m))
	}
	last := maxDaysIn(time.Month(m))
	if y != 0 {
		last = daysIn(y, time.Month(m))
	}
	if d < 1 || d > last {
		return impossible(text, dayReason(y, time.Month(m), d))
	}
	return nil
}

// writtenMonth checks a month written with its year.
func writtenMonth(text, ys, ms string) (dateSpec, *DateError) {
	y, _ := strconv.Atoi(ys)
	m, _ := strconv.Atoi(ms)
	if m < 1 || m > 12 {
		return dateSpec{}, impossible(text, monthReason(m))
	}
	if y < minWrittenYear || y > maxWrittenYear {
		return dateSpec{}, outOfRange(text)
	}
	return monthSpec(y, time.Month(m), text), nil
}

func impossible(text, reason string) *DateError {
	return &DateError{Kind: DateImpossible, Input: text, Reason: reason}
}

func outOfRange(text string) *DateError {
	return &DateError{Kind: DateOutOfRange, Input: text,
		Reason: fmt.Sprintf("年份应在 %d 到 %d 之间", minWrittenYear, maxWrittenYear)}
}

func monthReason(m int) string {
	if m == 0 {
		return "没有0月，一年是1月到12月"
	}
	return "一年只有12个月"
}

// dayReason says why day d of month m in year y (0: unknown) does not exist;
// m is 0 when the month is unknown too.
func dayReason(y int, m time.Month, d int) string {
	switch {
	case d == 0:
		return "没有0日，每月从1日开始"
	case m == 0:
		return "一个月最多31天"
	case y == 0:
		if m == time.February {
			return "2月最多29天"
		}
		return fmt.Sprintf("%d月只有%d天", m, maxDaysIn(m))
	case m == time.February && d == 29:
		return fmt.Sprintf("%d年不是闰年，2月只有28天", y)
	}
	return fmt.Sprintf("%d月只有%d天", m, daysIn(y, m))
}

// daysIn is the number of days in month m of year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 12, 0, 0, 0, time.UTC).Day()
}

// maxDaysIn is the number of days month m can have (29 for February).
func maxDaysIn(m time.Month) int { return daysIn(2000, m) }

// weekMonday is the Monday of d's Monday–Sunday week.
func weekMonday(d Date) Date { return d.AddDays(-weekdayIndex(d.Weekday())) }

// weekdayIndex counts from Monday = 0 to Sunday = 6.
func weekdayIndex(w time.Weekday) int { return (int(w) + 6) % 7 }

// nextWeekday is the first day on or after d that falls on w.
func nextWeekday(d Date, w time.Weekday) Date {
	return d.AddDays((int(w) - int(d.Weekday()) + 7) % 7)
}

// normaliseDateText maps full-width forms to half-width, a few traditional
// characters to simplified ones, collapses runs of white space to one space
// and trims the ends. Case is kept, for error messages.
func normaliseDateText(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == '\u3000' || unicode.IsSpace(r):
			space = true
			continue
		case r >= '\uff01' && r <= '\uff5e':
			r -= 0xfee0
		case r == '\u301c': // 〜 wave dash
			r = '~'
		case r == '\u2212': // minus sign
			r = '-'
		default:
			if t, ok := traditionalDateRunes[r]; ok {
				r = t
			}
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

var traditionalDateRunes = map[rune]rune{
	'週': '周', '號': '号', '後': '后', '這': '这', '禮': '礼', '個': '个', '從': '从',
}

// compactDateText is normalised text without spaces and in lower case,
// for matching.
func compactDateText(text string) string {
	return asciiLower(strings.ReplaceAll(text, " ", ""))
}

// asciiLower lower-cases ASCII letters only, so byte offsets stay valid.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

func isASCIILetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return s != ""
}
