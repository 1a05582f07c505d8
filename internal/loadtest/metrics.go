package loadtest

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Scrape reads one sample from a server's /metrics, e.g.
// `process_resident_memory_bytes` or `dutybot_wecom_sends_total{result="ok"}`.
// A series not (yet) exported reads as 0.
func Scrape(ctx context.Context, client *http.Client, baseURL, series string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(baseURL, "/")+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("scrape metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("scrape metrics: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, series+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			return 0, fmt.Errorf("scrape metrics: %s: %w", series, err)
		}
		return v, nil
	}
	return 0, sc.Err()
}

// ScrapeAll reads every sample from a server's /metrics whose series starts
// with prefix (e.g. "dutybot_alert_notifications_total"), keyed by the series
// as written (name and labels).
func ScrapeAll(ctx context.Context, client *http.Client, baseURL, prefix string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(baseURL, "/")+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape metrics: %s", resp.Status)
	}
	out := make(map[string]float64)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("scrape metrics: %s: %w", line, err)
		}
		out[line[:i]] = v
	}
	return out, sc.Err()
}

// Sub is after − before for every series of after (a series missing from
// before counts from 0): what happened between two scrapes.
func Sub(after, before map[string]float64) map[string]float64 {
	d := make(map[string]float64, len(after))
	for k, v := range after {
		d[k] = v - before[k]
	}
	return d
}

// HistogramQuantile estimates the q-quantile (0 < q < 1) of the Prometheus
// histogram name (without _bucket) from its cumulative buckets in samples,
// interpolating linearly inside a bucket as Prometheus's histogram_quantile
// does; it also returns the number of observations. An estimate in the +Inf
// bucket is reported as the largest finite bound.
func HistogramQuantile(samples map[string]float64, name string, q float64) (value, count float64) {
	type bucket struct{ le, n float64 }
	var bs []bucket
	prefix := name + `_bucket{le="`
	for k, v := range samples {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		le, err := strconv.ParseFloat(strings.TrimSuffix(rest, `"}`), 64)
		if err != nil {
			continue
		}
		bs = append(bs, bucket{le, v})
	}
	slices.SortFunc(bs, func(a, b bucket) int { return cmp.Compare(a.le, b.le) })
	if len(bs) == 0 || bs[len(bs)-1].n <= 0 {
		return 0, 0
	}
	count = bs[len(bs)-1].n
	rank := q * count
	lower, below := 0.0, 0.0
	for _, b := range bs {
		if b.n >= rank {
			if math.IsInf(b.le, 1) {
				return lower, count
			}
			if b.n == below {
				return b.le, count
			}
			return lower + (b.le-lower)*(rank-below)/(b.n-below), count
		}
		lower, below = b.le, b.n
	}
	return lower, count
}

// HistogramOf picks one series of a histogram with labels besides le
// (e.g. `platform="ios"`; "" for all of them), summing the buckets of every
// series whose labels contain match, and returns them keyed as a histogram
// without those labels (name_bucket{le="…"}), for HistogramQuantile.
func HistogramOf(samples map[string]float64, name, match string) map[string]float64 {
	out := make(map[string]float64)
	prefix := name + "_bucket{"
	for k, v := range samples {
		labels, ok := strings.CutPrefix(k, prefix)
		if !ok || !strings.Contains(labels, match) {
			continue
		}
		i := strings.Index(labels, `le="`)
		if i < 0 {
			continue
		}
		out[name+`_bucket{`+labels[i:]] += v
	}
	return out
}

// HistogramMax is the upper bound of the smallest bucket holding every
// observation of the histogram name: the largest observation is at most
// this. +Inf when some fell past the last finite bound; 0 when empty.
func HistogramMax(samples map[string]float64, name string) float64 {
	_, count := HistogramQuantile(samples, name, 0.5)
	if count == 0 {
		return 0
	}
	best := math.Inf(1)
	prefix := name + `_bucket{le="`
	for k, v := range samples {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok || v < count {
			continue
		}
		if le, err := strconv.ParseFloat(strings.TrimSuffix(rest, `"}`), 64); err == nil && le < best {
			best = le
		}
	}
	return best
}
