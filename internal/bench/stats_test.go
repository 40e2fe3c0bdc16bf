package bench

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample is every percentile", ms(7), 99.9, 7 * time.Millisecond},
		{"median of odd count", ms(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{"median of even count is the lower middle", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p100 is the max", ms(1, 2, 3, 4), 100, 4 * time.Millisecond},
		{"tiny p is the min", ms(1, 2, 3, 4), 0.001, 1 * time.Millisecond},
		{"p0 clamps to the min", ms(1, 2, 3, 4), 0, 1 * time.Millisecond},
		// 100 samples 1..100 ms: p99 is the 99th, p99.9 rounds up to the 100th.
		{"p99 of 1..100", seq(100), 99, 99 * time.Millisecond},
		{"p99.9 of 1..100", seq(100), 99.9, 100 * time.Millisecond},
		{"p90 of 1..10", seq(10), 90, 9 * time.Millisecond},
		{"p91 of 1..10 rounds up", seq(10), 91, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.samples, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.samples, tt.p, got, tt.want)
			}
		})
	}
}

func seq(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(i+1) * time.Millisecond
	}
	return out
}

func TestSummarizeSortsAndSummarizes(t *testing.T) {
	s := seq(1000)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	got := Summarize(s)
	want := Summary{
		Count: 1000, Min: time.Millisecond, Mean: 500500 * time.Microsecond,
		P50: 500 * time.Millisecond, P90: 900 * time.Millisecond, P99: 990 * time.Millisecond,
		P999: 999 * time.Millisecond, Max: 1000 * time.Millisecond,
	}
	if got != want {
		t.Errorf("Summarize = %+v\nwant        %+v", got, want)
	}
	for i := 1; i < len(s); i++ {
		if s[i-1] > s[i] {
			t.Fatalf("samples not sorted in place at %d", i)
		}
	}
	if z := Summarize(nil); z != (Summary{}) {
		t.Errorf("Summarize(nil) = %+v, want zero", z)
	}
}

func TestMergeKeepsEverySample(t *testing.T) {
	got := merge([][]time.Duration{seq(3), nil, seq(2)})
	if len(got) != 5 || got[3] != time.Millisecond || got[4] != 2*time.Millisecond {
		t.Errorf("merge = %v", got)
	}
}
