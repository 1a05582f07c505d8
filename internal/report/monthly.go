package report

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"dutybot/push"
	"dutybot/roster"
	"dutybot/roster/duty"
	"dutybot/roster/incident"
)

// Period is the span statistics cover: a month or a year (days
// inclusive).
type Period struct {
	From, To roster.Date
	// Year is true for a whole year (the chart then counts by month).
	Year bool
}

// MonthPeriod is month m of year y.
func MonthPeriod(y int, m time.Month) Period {
	from := roster.NewDate(y, m, 1)
	next := roster.NewDate(y, m+1, 1)
	if m == time.December {
		next = roster.NewDate(y+1, time.January, 1)
	}
	return Period{From: from, To: next.AddDays(-1)}
}

// YearPeriod is year y.
func YearPeriod(y int) Period {
	return Period{From: roster.NewDate(y, time.January, 1), To: roster.NewDate(y, time.December, 31), Year: true}
}

// Label is "2026年11月" or "2026年".
func (p Period) Label() string {
	if p.Year {
		return fmt.Sprintf("%d年", p.From.Year)
	}
	return fmt.Sprintf("%d年%d月", p.From.Year, p.From.Month)
}

// PeriodForms lists what ParsePeriod accepts, for error messages.
const PeriodForms = "本月、上月、2026-11（或 2026年11月、11月）、2026（或 2026年、今年、去年）"

var (
	monthRe = regexp.MustCompile(`^(\d{4})\s*[-/年.]\s*(\d{1,2})\s*月?$`)
	yearRe  = regexp.MustCompile(`^(\d{4})\s*年?$`)
	bareMon = regexp.MustCompile(`^(\d{1,2})\s*月份?$`)
)

// ParsePeriod reads a month or a year: 本月/this month, 上月/last month,
// 2026-11, 2026年11月, 11月 (this year's), 2026, 2026年, 今年, 去年. today
// decides the relative forms.
func ParsePeriod(s string, today roster.Date) (Period, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "", "本月", "this month", "这个月":
		return MonthPeriod(today.Year, today.Month), nil
	case "上月", "上个月", "last month":
		if today.Month == time.January {
			return MonthPeriod(today.Year-1, time.December), nil
		}
		return MonthPeriod(today.Year, today.Month-1), nil
	case "今年", "本年", "this year":
		return YearPeriod(today.Year), nil
	case "去年", "last year":
		return YearPeriod(today.Year - 1), nil
	}
	if m := monthRe.FindStringSubmatch(t); m != nil {
		y, _ := strconv.Atoi(m[1])
		mon, _ := strconv.Atoi(m[2])
		if mon >= 1 && mon <= 12 && y >= 2000 && y <= 2100 {
			return MonthPeriod(y, time.Month(mon)), nil
		}
	}
	if m := yearRe.FindStringSubmatch(t); m != nil {
		y, _ := strconv.Atoi(m[1])
		if y >= 2000 && y <= 2100 {
			return YearPeriod(y), nil
		}
	}
	if m := bareMon.FindStringSubmatch(t); m != nil {
		mon, _ := strconv.Atoi(m[1])
		if mon >= 1 && mon <= 12 {
			return MonthPeriod(today.Year, time.Month(mon)), nil
		}
	}
	return Period{}, fmt.Errorf("期间「%s」看不懂，可写：%s", s, PeriodForms)
}

// Count is one figure of a breakdown.
type Count struct {
	Key   string // level, category or outcome key
	Label string // in Chinese
	N     int
}

// ChannelCount is the notifications of one channel.
type ChannelCount struct {
	Channel      string
	Sent, Failed int
}

// SeriesPoint is the reports of one day (one month in a year) by level,
// in incident.Levels order.
type SeriesPoint struct {
	Label   string // "1" … "31", or "1月" … "12月"
	ByLevel [4]int
}

// Stats are the figures of a period, as they stood at At.
type Stats struct {
	Period Period
	At     time.Time

	// Reports (事件) by the duty day they were filed in.
	Reports    int
	ByLevel    []Count
	ByCategory []Count
	Sensitive  int
	Late       int // 迟报

	// 批示 issued in the period: relayed by RelayDue, relayed late (or
	// still not relayed past it), fed back by FeedbackDue, fed back late
	// (or overdue), and waiting for feedback not yet due.
	Instructions    int
	RelayedOnTime   int
	RelayedLate     int
	FedBackOnTime   int
	FedBackLate     int
	FeedbackWaiting int

	// Check-ins of the period's duty days: early or on time, and late
	// (迟到).
	Checkins       int
	CheckinsOnTime int
	CheckinsLate   int

	// Absences are the 空岗 (missed check-ins); spot checks (查岗) of the
	// period's duty days answered in time, missed (脱岗) and still
	// waiting.
	Absences          int
	SpotChecks        int
	SpotChecksOK      int
	SpotChecksMissed  int
	SpotChecksWaiting int

	// Escalations raised in the period by outcome, and the time from
	// raising to acknowledgement of the acknowledged ones.
	Escalations int
	Outcomes    []Count
	AckCount    int
	AckMedian   time.Duration
	AckP90      time.Duration

	Notifications []ChannelCount

	// Series is the reports per day (per month for a year) by level.
	Series []SeriesPoint
}

// Monthly gathers the figures of p as they stood at asOf.
//
// What counts in the period: reports by their duty day (the slot they
// were filed in); check-ins, 空岗 and 查岗 by the duty day of the shift;
// 批示, escalations and notifications by the office date they were issued,
// raised or sent.
func (b Builder) Monthly(ctx context.Context, p Period, asOf time.Time) (Stats, error) {
	loc := b.loc()
	start, end := p.From.At(0, loc), p.To.AddDays(1).At(0, loc)
	st := Stats{Period: p, At: asOf}
	in := func(d roster.Date) bool { return !d.Before(p.From) && !d.After(p.To) }

	st.Series = newSeries(p)
	rs, err := b.Incidents.Reports(ctx, start.Add(-24*time.Hour), end.Add(24*time.Hour))
	if err != nil {
		return Stats{}, fmt.Errorf("reports of %s: %w", p.Label(), err)
	}
	levels := make(map[incident.Level]int)
	cats := make(map[incident.Category]int)
	for _, r := range rs {
		d := reportDay(r, loc)
		if !in(d) {
			continue
		}
		st.Reports++
		levels[r.Level]++
		cats[r.Category]++
		if r.Sensitive {
			st.Sensitive++
		}
		if r.Late() {
			st.Late++
		}
		if i := slices.Index(incident.Levels(), r.Level); i >= 0 {
			st.Series[seriesIndex(p, d)].ByLevel[i]++
		}
	}
	for _, l := range incident.Levels() {
		st.ByLevel = append(st.ByLevel, Count{Key: string(l), Label: l.Label(), N: levels[l]})
	}
	for _, c := range incident.Categories() {
		st.ByCategory = append(st.ByCategory, Count{Key: string(c), Label: c.Label(), N: cats[c]})
	}

	ins, err := b.Incidents.Instructions(ctx, start, end)
	if err != nil {
		return Stats{}, fmt.Errorf("instructions of %s: %w", p.Label(), err)
	}
	for _, x := range ins {
		st.Instructions++
		if x.RelayedLate(asOf) {
			st.RelayedLate++
		} else if !x.RelayedAt.IsZero() {
			st.RelayedOnTime++
		}
		switch {
		case x.FedBackLate(asOf):
			st.FedBackLate++
		case !x.FeedbackAt.IsZero():
			st.FedBackOnTime++
		default:
			st.FeedbackWaiting++
		}
	}

	cs, err := b.Duty.Checkins(ctx, p.From, p.To)
	if err != nil {
		return Stats{}, fmt.Errorf("check-ins of %s: %w", p.Label(), err)
	}
	for _, c := range cs {
		st.Checkins++
		if c.Status == duty.CheckinLate {
			st.CheckinsLate++
		} else {
			st.CheckinsOnTime++
		}
	}
	abs, err := b.Duty.Absences(ctx, p.From, p.To)
	if err != nil {
		return Stats{}, fmt.Errorf("absences of %s: %w", p.Label(), err)
	}
	st.Absences = len(abs)
	scs, err := b.Duty.SpotChecks(ctx, start.Add(-24*time.Hour), end.Add(24*time.Hour))
	if err != nil {
		return Stats{}, fmt.Errorf("spot checks of %s: %w", p.Label(), err)
	}
	for _, c := range scs {
		if !in(c.Date) {
			continue
		}
		st.SpotChecks++
		switch {
		case c.Status == duty.SpotAnswered:
			st.SpotChecksOK++
		case c.Status == duty.SpotMissed, asOf.After(c.DueAt):
			st.SpotChecksMissed++
		default:
			st.SpotChecksWaiting++
		}
	}

	if b.Escalations != nil {
		if err := b.escalationStats(ctx, &st, start, end); err != nil {
			return Stats{}, err
		}
	}
	return st, nil
}

// outcomeKeys are the escalation statuses in print order.
var outcomeKeys = []struct{ key, label string }{
	{push.StatusAcked, OutcomeAcked}, {push.StatusResolved, OutcomeResolved},
	{push.StatusExhausted, OutcomeExhausted}, {push.StatusOpen, OutcomeOpen},
}

func (b Builder) escalationStats(ctx context.Context, st *Stats, start, end time.Time) error {
	es, err := b.Escalations.EscalationsBetween(ctx, start, end)
	if err != nil {
		return fmt.Errorf("escalations of %s: %w", st.Period.Label(), err)
	}
	byStatus := make(map[string]int)
	var acks []time.Duration
	for _, e := range es {
		st.Escalations++
		byStatus[e.Status]++
		if e.Status == push.StatusAcked && !e.AckedAt.IsZero() {
			acks = append(acks, e.AckedAt.Sub(e.CreatedAt))
		}
	}
	for _, o := range outcomeKeys {
		st.Outcomes = append(st.Outcomes, Count{Key: o.key, Label: o.label, N: byStatus[o.key]})
	}
	slices.Sort(acks)
	st.AckCount = len(acks)
	st.AckMedian, st.AckP90 = nearestRank(acks, 0.5), nearestRank(acks, 0.9)

	sent, err := b.Escalations.NotificationsBetween(ctx, start, end)
	if err != nil {
		return fmt.Errorf("notifications of %s: %w", st.Period.Label(), err)
	}
	byChannel := map[string]*ChannelCount{
		string(push.ChannelWeCom): {Channel: string(push.ChannelWeCom)},
		string(push.ChannelPush):  {Channel: string(push.ChannelPush)},
	}
	for _, x := range sent {
		c, ok := byChannel[string(x.Channel)]
		if !ok {
			c = &ChannelCount{Channel: string(x.Channel)}
			byChannel[string(x.Channel)] = c
		}
		if x.Status == string(push.Failed) || x.Status == string(push.Invalid) {
			c.Failed++
		} else {
			c.Sent++
		}
	}
	for _, c := range byChannel {
		st.Notifications = append(st.Notifications, *c)
	}
	slices.SortFunc(st.Notifications, func(a, b ChannelCount) int { return cmp.Compare(channelOrder(a.Channel), channelOrder(b.Channel)) })
	return nil
}

// channelOrder prints wecom, then push, then others by name.
func channelOrder(c string) string {
	switch c {
	case string(push.ChannelWeCom):
		return "0"
	case string(push.ChannelPush):
		return "1"
	}
	return "2" + c
}

// nearestRank is the p-quantile of sorted ds by the nearest-rank method:
// the ⌈p·n⌉-th smallest (so the median of 4 values is the 2nd). Zero for
// none.
func nearestRank(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p * float64(len(sorted))))
	return sorted[min(max(k, 1), len(sorted))-1]
}

func newSeries(p Period) []SeriesPoint {
	if p.Year {
		out := make([]SeriesPoint, 12)
		for i := range out {
			out[i].Label = fmt.Sprintf("%d月", i+1)
		}
		return out
	}
	n := p.From.DaysUntil(p.To) + 1
	out := make([]SeriesPoint, n)
	for i := range out {
		out[i].Label = strconv.Itoa(i + 1)
	}
	return out
}

func seriesIndex(p Period, d roster.Date) int {
	if p.Year {
		return int(d.Month) - 1
	}
	return p.From.DaysUntil(d)
}

// Row is one figure as printed: 指标 and 值.
type Row struct{ Name, Value string }

// Rows are the figures in print order (the CSV, the XLSX 指标 sheet and
// the tables of the markdown and HTML). Rates are percentages with one
// decimal ("—" with nothing to divide by); times are minutes with one
// decimal ("—" with none).
func (st Stats) Rows() []Row {
	n := strconv.Itoa
	rows := []Row{{"统计期间", fmt.Sprintf("%s（%s 至 %s）", st.Period.Label(), st.Period.From, st.Period.To)}, {"事件总数", n(st.Reports)}}
	for _, c := range st.ByLevel {
		rows = append(rows, Row{"事件-" + c.Label, n(c.N)})
	}
	for _, c := range st.ByCategory {
		rows = append(rows, Row{"事件-" + c.Label, n(c.N)})
	}
	rows = append(rows,
		Row{"敏感事件", n(st.Sensitive)},
		Row{"迟报数", n(st.Late)},
		Row{"迟报率", rate(st.Late, st.Reports)},
		Row{"批示数", n(st.Instructions)},
		Row{"批示按时传达", n(st.RelayedOnTime)},
		Row{"批示传达超时", n(st.RelayedLate)},
		Row{"批示按时传达率", rate(st.RelayedOnTime, st.Instructions)},
		Row{"批示按时反馈", n(st.FedBackOnTime)},
		Row{"批示反馈超时", n(st.FedBackLate)},
		Row{"批示待反馈", n(st.FeedbackWaiting)},
		Row{"批示按时反馈率", rate(st.FedBackOnTime, st.Instructions)},
		Row{"签到次数", n(st.Checkins)},
		Row{"签到准时（含早到）", n(st.CheckinsOnTime)},
		Row{"签到迟到", n(st.CheckinsLate)},
		Row{"签到准时率", rate(st.CheckinsOnTime, st.Checkins)},
		Row{"空岗", n(st.Absences)},
		Row{"脱岗", n(st.SpotChecksMissed)},
		Row{"查岗次数", n(st.SpotChecks)},
		Row{"查岗在岗", n(st.SpotChecksOK)},
		Row{"查岗未通过（脱岗）", n(st.SpotChecksMissed)},
		Row{"查岗待答复", n(st.SpotChecksWaiting)},
		Row{"告警总数", n(st.Escalations)},
	)
	for _, c := range st.Outcomes {
		rows = append(rows, Row{"告警-" + c.Label, n(c.N)})
	}
	rows = append(rows,
		Row{"确认用时中位数（分钟）", minutesValue(st.AckMedian, st.AckCount)},
		Row{"确认用时P90（分钟）", minutesValue(st.AckP90, st.AckCount)},
	)
	for _, c := range st.Notifications {
		rows = append(rows, Row{"通知-" + channelLabel(c.Channel) + "-成功", n(c.Sent)}, Row{"通知-" + channelLabel(c.Channel) + "-失败", n(c.Failed)})
	}
	return rows
}

// channelLabel names a notification channel.
func channelLabel(c string) string {
	switch c {
	case string(push.ChannelWeCom):
		return "企业微信"
	case string(push.ChannelPush):
		return "手机推送"
	}
	return c
}

// rate is part/whole as "93.1%", or "—" when whole is 0.
func rate(part, whole int) string {
	if whole == 0 {
		return "—"
	}
	return strconv.FormatFloat(float64(part)*100/float64(whole), 'f', 1, 64) + "%"
}

// minutesValue is d in minutes with one decimal, or "—" when count is 0.
func minutesValue(d time.Duration, count int) string {
	if count == 0 {
		return "—"
	}
	return strconv.FormatFloat(d.Minutes(), 'f', 1, 64)
}
