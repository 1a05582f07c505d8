package roster_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"dutybot/roster"
)

// Fixed todays for the tests.
const (
	todayMonday  = "2026-11-23" // Monday; week 11-23..11-29
	todaySunday  = "2026-11-29" // Sunday; same week
	todayLateDec = "2026-12-28" // Monday; week 12-28..2027-01-03
)

func isoDate(t testing.TB, s string) roster.Date {
	t.Helper()
	d, err := roster.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParseDay(t *testing.T) {
	tests := []struct {
		today string
		in    []string
		want  string
	}{
		// Written with a year.
		{todayMonday, []string{"2026-12-25", "2026/12/25", "2026.12.25", "20261225", "2026年12月25日", "2026年12月25号",
			"2026年12月25", "2026-12-25 ", "  2026/12/25", "2026 年 12 月 25 日", "２０２６－１２－２５"}, "2026-12-25"},
		{todayMonday, []string{"2026-1-5", "2026/01/05", "2026年1月5日"}, "2026-01-05"},
		{todayMonday, []string{"2025-12-25"}, "2025-12-25"}, // a written year is kept, past or not
		// Without a year: this year …
		{todayMonday, []string{"12-25", "12/25", "12.25", "12月25日", "12月25号", "12月25", " 12-25 "}, "2026-12-25"},
		{todayMonday, []string{"10-01", "10月1日"}, "2026-10-01"},
		{todayMonday, []string{"9-24"}, "2026-09-24"}, // exactly 60 days ago: still this year
		// … or next year when more than 60 days past.
		{todayMonday, []string{"9-23"}, "2027-09-23"}, // 61 days ago
		{todayMonday, []string{"1月5日", "1-5", "1/5", "1.5", "01-05"}, "2027-01-05"},
		{todayLateDec, []string{"1月5日", "1-5", "1/5", "1.5", "1月5号"}, "2027-01-05"},
		{todayLateDec, []string{"12-25", "12月25日"}, "2026-12-25"},
		{todayLateDec, []string{"11-01"}, "2026-11-01"},
		{"2027-01-05", []string{"12-30"}, "2027-12-30"}, // never a past year: write the year for last December
		{todayLateDec, []string{"10-28"}, "2027-10-28"},
		{"2027-06-01", []string{"2-29", "2月29日"}, "2028-02-29"},
		{"2028-01-10", []string{"2-29"}, "2028-02-29"},
		// Day of this month.
		{todayMonday, []string{"25日", "25号"}, "2026-11-25"},
		{todayMonday, []string{"1日", "1号"}, "2026-11-01"},
		{todayMonday, []string{"30号"}, "2026-11-30"},
		// Relative.
		{todayMonday, []string{"今天", "today", "Today", "TODAY", "今日"}, "2026-11-23"},
		{todayMonday, []string{"明天", "tomorrow", "Tomorrow", "明日"}, "2026-11-24"},
		{todayMonday, []string{"后天"}, "2026-11-25"},
		{todayMonday, []string{"大后天"}, "2026-11-26"},
		{todayMonday, []string{"昨天", "yesterday", "昨日"}, "2026-11-22"},
		{todayMonday, []string{"前天"}, "2026-11-21"},
		{todayMonday, []string{"大前天"}, "2026-11-20"},
		// Month and year ends, leap days.
		{"2026-11-30", []string{"明天"}, "2026-12-01"},
		{"2026-12-31", []string{"明天", "tomorrow"}, "2027-01-01"},
		{"2027-01-01", []string{"昨天"}, "2026-12-31"},
		{"2028-02-28", []string{"明天"}, "2028-02-29"},
		{"2027-02-28", []string{"明天"}, "2027-03-01"},
		{todayMonday, []string{"2028-02-29", "2028年2月29日", "20280229"}, "2028-02-29"},
		// Bare weekday: the next one, today included.
		{todayMonday, []string{"周一", "星期一", "礼拜一", "mon", "monday", "Monday", "周1"}, "2026-11-23"},
		{todayMonday, []string{"周二", "tue", "tues", "Tuesday"}, "2026-11-24"},
		{todayMonday, []string{"周三", "wed", "wednesday"}, "2026-11-25"},
		{todayMonday, []string{"周四", "thu", "thur", "thurs", "thursday"}, "2026-11-26"},
		{todayMonday, []string{"周五", "星期五", "礼拜五", "fri", "friday", "FRIDAY", "Fri", "周5", "週五"}, "2026-11-27"},
		{todayMonday, []string{"周六", "sat", "saturday"}, "2026-11-28"},
		{todayMonday, []string{"周日", "周天", "星期日", "星期天", "礼拜日", "礼拜天", "sun", "sunday", "周7"}, "2026-11-29"},
		{todaySunday, []string{"周日", "星期天", "sunday"}, "2026-11-29"},
		{todaySunday, []string{"周一", "monday"}, "2026-11-30"},
		{todaySunday, []string{"周六"}, "2026-12-05"},
		{todayLateDec, []string{"周五"}, "2027-01-01"},
		// This week (Monday–Sunday), past days included.
		{todayMonday, []string{"本周五", "这周五", "这个星期五", "本星期五", "这礼拜五", "this friday", "This Fri"}, "2026-11-27"},
		{todayMonday, []string{"本周一", "这周一", "this monday"}, "2026-11-23"},
		{todayMonday, []string{"本周日", "这周天", "this sunday"}, "2026-11-29"},
		{todaySunday, []string{"本周一", "this monday"}, "2026-11-23"},
		{todaySunday, []string{"这周五"}, "2026-11-27"},
		{todaySunday, []string{"本周日"}, "2026-11-29"},
		// Next week.
		{todayMonday, []string{"下周一", "下星期一", "next monday", "Next Mon"}, "2026-11-30"}, // 7 days later
		{todayMonday, []string{"下周五", "下星期五", "下礼拜五", "下个星期五", "next friday", "next fri", "NEXT FRIDAY"}, "2026-12-04"},
		{todayMonday, []string{"下周日", "下周天"}, "2026-12-06"},
		{todaySunday, []string{"下周一"}, "2026-11-30"}, // tomorrow: next week starts tomorrow
		{todaySunday, []string{"下周日"}, "2026-12-06"},
		{todayLateDec, []string{"下周五", "next friday"}, "2027-01-08"},
		// Last week.
		{todayMonday, []string{"上周五", "上星期五", "上个礼拜五", "last friday"}, "2026-11-20"},
		{todayMonday, []string{"上周一", "last mon"}, "2026-11-16"},
		{todaySunday, []string{"上周日"}, "2026-11-22"},
	}
	for _, tt := range tests {
		today := isoDate(t, tt.today)
		want := isoDate(t, tt.want)
		for _, in := range tt.in {
			got, err := roster.ParseDay(in, today)
			if err != nil {
				t.Errorf("ParseDay(%q, %s) error: %v", in, today, err)
				continue
			}
			if got != want {
				t.Errorf("ParseDay(%q, %s) = %s, want %s", in, today, got, want)
			}
		}
	}
}

func TestParseDayErrors(t *testing.T) {
	tests := []struct {
		today string
		in    string
		kind  roster.DateErrorKind
		msg   string // the whole Error(), or a part of it when it ends in "…"
	}{
		{todayMonday, "", roster.DateUnrecognised, "请写上日期：可用 2026-12-25、12-25、12月25日、明天、周五、下周一 等写法。"},
		{todayMonday, "   ", roster.DateUnrecognised, "请写上日期：…"},
		{todayMonday, "abc", roster.DateUnrecognised, "无法识别日期「abc」：可用 2026-12-25、12-25、12月25日、明天、周五、下周一 等写法。"},
		{todayMonday, "13月40日", roster.DateUnrecognised, "无法识别日期「13月40日」：可用 2026-12-25、12-25、12月25日、明天、周五、下周一 等写法。"},
		{todayMonday, "99/99", roster.DateUnrecognised, "无法识别日期「99/99」：…"},
		{todayMonday, "1225", roster.DateUnrecognised, "无法识别日期「1225」：…"},
		{todayMonday, "12--25", roster.DateUnrecognised, "无法识别日期「12--25」：…"},
		{todayMonday, "2026-12-25x", roster.DateUnrecognised, "无法识别日期「2026-12-25x」：…"},
		{todayMonday, "下下周五", roster.DateUnrecognised, "无法识别日期「下下周五」：…"},
		{todayMonday, "周", roster.DateUnrecognised, "无法识别日期「周」：…"},
		{todayMonday, "next", roster.DateUnrecognised, "无法识别日期「next」：…"},
		{todayMonday, "12-01至12-05", roster.DateUnrecognised, "无法识别日期「12-01至12-05」：…"},
		{todayMonday, strings.Repeat("12-", 100), roster.DateUnrecognised, "无法识别日期「12-12-12-12-12-1…」：…"},
		// A period where one day is wanted.
		{todayMonday, "下周", roster.DateUnrecognised, "无法识别日期「下周」：这是一段时间，请写具体哪一天，如 明天、下周一、12月25日。"},
		{todayMonday, "12月", roster.DateUnrecognised, "无法识别日期「12月」：这是一段时间…"},
		{todayMonday, "周末", roster.DateUnrecognised, "无法识别日期「周末」：这是一段时间…"},
		// Forms we read, but no such day.
		{todayMonday, "2026-02-30", roster.DateImpossible, "2026-02-30 不存在（2月只有28天）。"},
		{todayMonday, "2028-02-30", roster.DateImpossible, "2028-02-30 不存在（2月只有29天）。"},
		{todayMonday, "2027-02-29", roster.DateImpossible, "2027-02-29 不存在（2027年不是闰年，2月只有28天）。"},
		{todayMonday, "2027年2月29日", roster.DateImpossible, "2027年2月29日 不存在（2027年不是闰年，2月只有28天）。"},
		{todayMonday, "2-29", roster.DateImpossible, "2-29 不存在（2027年不是闰年，2月只有28天）。"}, // read as 2027
		{todayMonday, "2-30", roster.DateImpossible, "2-30 不存在（2月最多29天）。"},
		{todayMonday, "2026-13-01", roster.DateImpossible, "2026-13-01 不存在（一年只有12个月）。"},
		{todayMonday, "13-01", roster.DateImpossible, "13-01 不存在（一年只有12个月）。"},
		{todayMonday, "13月1日", roster.DateImpossible, "13月1日 不存在（一年只有12个月）。"},
		{todayMonday, "0-5", roster.DateImpossible, "0-5 不存在（没有0月，一年是1月到12月）。"},
		{todayMonday, "12-00", roster.DateImpossible, "12-00 不存在（没有0日，每月从1日开始）。"},
		{todayMonday, "4-31", roster.DateImpossible, "4-31 不存在（4月只有30天）。"},
		{todayMonday, "12-40", roster.DateImpossible, "12-40 不存在（12月只有31天）。"},
		{todayMonday, "31日", roster.DateImpossible, "31日 不存在（11月只有30天）。"},
		{todayMonday, "40号", roster.DateImpossible, "40号 不存在（一个月最多31天）。"},
		{todayMonday, "20261301", roster.DateImpossible, "20261301 不存在（一年只有12个月）。"},
		{todayMonday, "周八", roster.DateImpossible, "周八 不存在（一周只有周一到周日）。"},
		{todayMonday, "下周八", roster.DateImpossible, "下周八 不存在（一周只有周一到周日）。"},
		{todayMonday, "星期0", roster.DateImpossible, "星期0 不存在（一周只有周一到周日）。"},
		{todayMonday, "1026-12-25", roster.DateOutOfRange, "1026-12-25 超出范围（年份应在 1900 到 2999 之间）。"},
	}
	for _, tt := range tests {
		d, err := roster.ParseDay(tt.in, isoDate(t, tt.today))
		if err == nil {
			t.Errorf("ParseDay(%q) = %s, want an error", tt.in, d)
			continue
		}
		var de *roster.DateError
		if !errors.As(err, &de) {
			t.Errorf("ParseDay(%q) error %T, want *roster.DateError", tt.in, err)
			continue
		}
		if de.Kind != tt.kind {
			t.Errorf("ParseDay(%q) error kind %d, want %d (%v)", tt.in, de.Kind, tt.kind, err)
		}
		checkDateErrorMessage(t, "ParseDay("+tt.in+")", err.Error(), tt.msg)
	}
}

// checkDateErrorMessage compares an error message with want, a whole message or, when
// it ends in "…", its beginning.
func checkDateErrorMessage(t *testing.T, what, got, want string) {
	t.Helper()
	if prefix, ok := strings.CutSuffix(want, "…"); ok {
		if !strings.HasPrefix(got, prefix) {
			t.Errorf("%s error %q, want it to start %q", what, got, prefix)
		}
	} else if got != want {
		t.Errorf("%s error %q, want %q", what, got, want)
	}
	if !strings.HasSuffix(got, "。") {
		t.Errorf("%s error %q is not a full sentence", what, got)
	}
}

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		today    string
		in       []string
		from, to string
	}{
		// One day.
		{todayMonday, []string{"明天", "2026-11-24", "11-24", "11月24日", "周二", "tomorrow"}, "2026-11-24", "2026-11-24"},
		{todayMonday, []string{"下周一"}, "2026-11-30", "2026-11-30"},
		// Weeks, Monday to Sunday.
		{todayMonday, []string{"本周", "这周", "this week", "This Week", "这个星期", "本星期", "这礼拜"}, "2026-11-23", "2026-11-29"},
		{todaySunday, []string{"本周", "这周", "this week"}, "2026-11-23", "2026-11-29"},
		{todayMonday, []string{"下周", "next week", "下个星期", "下星期", "下礼拜", "下个礼拜"}, "2026-11-30", "2026-12-06"},
		{todaySunday, []string{"下周", "next week"}, "2026-11-30", "2026-12-06"},
		{todayMonday, []string{"上周", "last week", "上个星期"}, "2026-11-16", "2026-11-22"},
		{todaySunday, []string{"上周"}, "2026-11-16", "2026-11-22"},
		{todayLateDec, []string{"本周"}, "2026-12-28", "2027-01-03"},
		{todayLateDec, []string{"下周"}, "2027-01-04", "2027-01-10"},
		{todayMonday, []string{"周末", "本周末", "这周末", "weekend", "this weekend"}, "2026-11-28", "2026-11-29"},
		{todaySunday, []string{"周末"}, "2026-11-28", "2026-11-29"},
		{todayMonday, []string{"下周末", "next weekend"}, "2026-12-05", "2026-12-06"},
		// Months.
		{todayMonday, []string{"本月", "这个月", "这月", "当月", "this month"}, "2026-11-01", "2026-11-30"},
		{todayMonday, []string{"下月", "下个月", "next month", "Next Month"}, "2026-12-01", "2026-12-31"},
		{todayMonday, []string{"上月", "上个月", "last month"}, "2026-10-01", "2026-10-31"},
		{todayLateDec, []string{"下个月", "1月", "1月份"}, "2027-01-01", "2027-01-31"},
		{"2027-01-15", []string{"上个月", "2026年12月"}, "2026-12-01", "2026-12-31"},
		{"2027-01-15", []string{"12月"}, "2027-12-01", "2027-12-31"}, // never read as a past year
		{todayMonday, []string{"12月", "12月份", "2026年12月", "2026年12月份", "2026-12", "2026/12", "2026.12"}, "2026-12-01", "2026-12-31"},
		{todayMonday, []string{"10月"}, "2026-10-01", "2026-10-31"},
		{todayMonday, []string{"9月"}, "2026-09-01", "2026-09-30"}, // ended 54 days ago: this year's
		{todayMonday, []string{"8月"}, "2027-08-01", "2027-08-31"}, // ended 84 days ago: next year's
		{todayMonday, []string{"1月"}, "2027-01-01", "2027-01-31"},
		{todayMonday, []string{"2月", "2027-02"}, "2027-02-01", "2027-02-28"},
		{todayMonday, []string{"2028年2月"}, "2028-02-01", "2028-02-29"},
		// Ranges.
		{todayMonday, []string{"12-01至12-07", "12-01到12-07", "12-01~12-07", "12-01 ~ 12-07", "12-01 - 12-07", "12-01 to 12-07",
			"12-01 TO 12-07", "12-01-12-07", "12-1至12-7", "12/1-12/7", "12.1-12.7", "2026-12-01-2026-12-07",
			"2026-12-01 至 2026-12-07", "12月1日至12月7日", "12月1日到7日", "12月1日-7日", "12月1-7日", "12月1日——12月7日",
			"从12月1日到12月7日", "from 12-01 to 12-07", "12-01～12-07", "12-1~7", "20261201-20261207"}, "2026-12-01", "2026-12-07"},
		{todayMonday, []string{"今天至周五", "今天到本周五", "today to friday", "周一到周五", "本周一至本周五"}, "2026-11-23", "2026-11-27"},
		{todaySunday, []string{"周一到周五", "下周一至下周五", "明天到周五"}, "2026-11-30", "2026-12-04"},
		{todayMonday, []string{"today to next friday", "今天至下周五"}, "2026-11-23", "2026-12-04"},
		{todayMonday, []string{"12-28至1-3", "12月28日至1月3日", "2026-12-28至1-3", "12-28至2027-01-03"}, "2026-12-28", "2027-01-03"},
		{todayLateDec, []string{"1-5至1-10", "1月5日到10日"}, "2027-01-05", "2027-01-10"},
		{todayLateDec, []string{"12-20至明天"}, "2026-12-20", "2026-12-29"},
		{"2027-01-20", []string{"11-1至11-30", "11月"}, "2027-11-01", "2027-11-30"},
		{"2027-01-20", []string{"2026-11-1至11-30", "2026年11月"}, "2026-11-01", "2026-11-30"},
		{"2027-01-20", []string{"12-30至1-3", "2026-12-30至1-3", "12-30至2027-01-03"}, "2026-12-30", "2027-01-03"},
		{todayMonday, []string{"25日到28日", "25号至28号"}, "2026-11-25", "2026-11-28"},
		{todayMonday, []string{"25日至12-3"}, "2026-11-25", "2026-12-03"},
		{todayMonday, []string{"本周至下周"}, "2026-11-23", "2026-12-06"},
		{todayMonday, []string{"12月至2月", "12月到2027年2月"}, "2026-12-01", "2027-02-28"},
		{todayMonday, []string{"12-25至12-25"}, "2026-12-25", "2026-12-25"},
		{todayMonday, []string{"3-1至2-28"}, "2026-03-01", "2027-02-28"}, // the month going down crosses a year
	}
	for _, tt := range tests {
		today := isoDate(t, tt.today)
		from, to := isoDate(t, tt.from), isoDate(t, tt.to)
		for _, in := range tt.in {
			gotFrom, gotTo, err := roster.ParsePeriod(in, today)
			if err != nil {
				t.Errorf("ParsePeriod(%q, %s) error: %v", in, today, err)
				continue
			}
			if gotFrom != from || gotTo != to {
				t.Errorf("ParsePeriod(%q, %s) = %s..%s, want %s..%s", in, today, gotFrom, gotTo, from, to)
			}
		}
	}
}

func TestParsePeriodErrors(t *testing.T) {
	tests := []struct {
		in   string
		kind roster.DateErrorKind
		msg  string
	}{
		{"", roster.DateUnrecognised, "请写上日期：可用 本周、下周、本月、12月、12-01至12-07，或 明天、周五、12月25日 等单日写法。"},
		{"abc", roster.DateUnrecognised, "无法识别日期「abc」：可用 本周、下周、本月、12月、12-01至12-07，或 明天、周五、12月25日 等单日写法。"},
		{"13月", roster.DateImpossible, "13月 不存在（一年只有12个月）。"},
		{"2026-13", roster.DateImpossible, "2026-13 不存在（一年只有12个月）。"},
		{"12-01至", roster.DateUnrecognised, "无法识别日期「12-01至」：…"},
		{"12-01至abc", roster.DateUnrecognised, "无法识别日期「abc」：…"},
		{"12-01至12-40", roster.DateImpossible, "12-40 不存在（12月只有31天）。"},
		{"12-01-12-40", roster.DateImpossible, "12-40 不存在（12月只有31天）。"},
		{"11-30至31日", roster.DateImpossible, "31日 不存在（11月只有30天）。"},
		{"2-1至2-29", roster.DateImpossible, "2-29 不存在（2027年不是闰年，2月只有28天）。"},
		{strings.Repeat("周一", 40), roster.DateUnrecognised, "无法识别日期「周一周一周一周一周一周一周一周一…」：可用 本周…"},
		{"2026-12-1-5", roster.DateUnrecognised, "无法识别日期「2026-12-1-5」：分不清从哪天到哪天，请用「至」隔开，如 12-01至12-07。"},
		// Reversed.
		{"12-05至12-01", roster.DateReversed, "日期范围「12-05至12-01」有误：结束日 2026-12-01 早于开始日 2026-12-05，请把早的日期写在前面。"},
		{"2026-12-05 - 2026-12-01", roster.DateReversed, "日期范围「2026-12-05 - 2026-12-01」有误：…"},
		{"2027-01-03至2026-12-28", roster.DateReversed, "日期范围「2027-01-03至2026-12-28」有误：…"},
		{"12月25日至20日", roster.DateReversed, "日期范围「12月25日至20日」有误：结束日 2026-12-20 早于开始日 2026-12-25，…"},
		{"下周至本周", roster.DateReversed, "日期范围「下周至本周」有误：…"},
		{"周五至今天", roster.DateReversed, "日期范围「周五至今天」有误：…"},
		{"明天到昨天", roster.DateReversed, "日期范围「明天到昨天」有误：…"},
	}
	today := isoDate(t, todayMonday)
	for _, tt := range tests {
		from, to, err := roster.ParsePeriod(tt.in, today)
		if err == nil {
			t.Errorf("ParsePeriod(%q) = %s..%s, want an error", tt.in, from, to)
			continue
		}
		var de *roster.DateError
		if !errors.As(err, &de) {
			t.Errorf("ParsePeriod(%q) error %T, want *roster.DateError", tt.in, err)
			continue
		}
		if de.Kind != tt.kind {
			t.Errorf("ParsePeriod(%q) error kind %d, want %d (%v)", tt.in, de.Kind, tt.kind, err)
		}
		checkDateErrorMessage(t, "ParsePeriod("+tt.in+")", err.Error(), tt.msg)
	}
}

func TestDateErrorFields(t *testing.T) {
	_, err := roster.ParseDay("  2026-02-30 ", isoDate(t, todayMonday))
	var de *roster.DateError
	if !errors.As(err, &de) {
		t.Fatalf("error %v, want *roster.DateError", err)
	}
	if de.Input != "2026-02-30" || de.Reason != "2月只有28天" || de.Kind != roster.DateImpossible {
		t.Errorf("DateError = %+v", *de)
	}
}

// fuzzTodays are the todays FuzzParseDay tries each input against: a
// Monday, a Sunday, year and month ends, and leap-year edges.
var fuzzTodays = []string{todayMonday, todaySunday, todayLateDec, "2026-12-31", "2027-01-01", "2028-02-28", "2028-02-29", "2027-03-01"}

func FuzzParseDay(f *testing.F) {
	for _, s := range []string{
		"", " ", "2026-12-25", "2026/12/25", "2026.12.25", "20261225", "12-25", "12/25", "12.25",
		"2026年12月25日", "12月25日", "12月25号", "25日", "25号", "今天", "today", "明天", "tomorrow",
		"后天", "昨天", "yesterday", "前天", "周五", "星期五", "礼拜五", "fri", "friday", "本周五", "这周五",
		"下周五", "next friday", "上周五", "本周", "this week", "下周", "next week", "上周", "本月", "this month",
		"下月", "下个月", "next month", "12月", "2026年12月", "2026-12", "12-01至12-07", "12-01到12-07",
		"12-01~12-07", "12-01 - 12-07", "12-01 to 12-07", "12-01-12-07", "12月1日至7日", "周一到周五",
		"abc", "13月40日", "2026-13-01", "周八", "99/99", "2-29", "2027-02-29", "12-05至12-01", "从至到",
		"－－", "\xff", "2026-12-1-5", "9999-12-31", "0000-01-01",
	} {
		f.Add(s)
	}
	todays := make([]roster.Date, len(fuzzTodays))
	for i, s := range fuzzTodays {
		todays[i] = isoDate(f, s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, today := range todays {
			d, err := roster.ParseDay(s, today)
			checkFuzzDateError(t, "ParseDay", s, err)
			if err == nil {
				checkRealDate(t, s, d)
			}
			from, to, perr := roster.ParsePeriod(s, today)
			checkFuzzDateError(t, "ParsePeriod", s, perr)
			if perr == nil {
				checkRealDate(t, s, from)
				checkRealDate(t, s, to)
				if to.Before(from) {
					t.Fatalf("ParsePeriod(%q, %s) = %s..%s: ends before it starts", s, today, from, to)
				}
			}
			// Every day is also a period of one day.
			if err == nil && (perr != nil || from != d || to != d) {
				t.Fatalf("ParseDay(%q, %s) = %s but ParsePeriod = %s..%s, %v", s, today, d, from, to, perr)
			}
		}
	})
}

func checkFuzzDateError(t *testing.T, fn, s string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var de *roster.DateError
	if !errors.As(err, &de) {
		t.Fatalf("%s(%q) error %T, want *roster.DateError", fn, s, err)
	}
	msg := err.Error()
	if msg == "" || !utf8.ValidString(msg) || !strings.HasSuffix(msg, "。") {
		t.Fatalf("%s(%q) error message %q is not a sentence for the chat", fn, s, msg)
	}
}

func checkRealDate(t *testing.T, s string, d roster.Date) {
	t.Helper()
	back, err := roster.ParseDate(d.String())
	if err != nil || back != d {
		t.Fatalf("input %q gave %#v, which is not a real date (ParseDate(%q) = %v, %v)", s, d, d.String(), back, err)
	}
}
