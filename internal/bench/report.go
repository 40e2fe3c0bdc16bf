package bench

import (
	"time"
)

// Report is everything one run measured; Run prints it as tables or JSON.
type Report struct {
	Started    time.Time `json:"started"`
	Servers    []string  `json:"servers"`
	OwnCluster bool      `json:"own_cluster"`
	CPUs       int       `json:"cpus"`
	ValueSize  int       `json:"value_size_bytes"`
	FanOut     int       `json:"clients_per_connection"`
	// BusyBefore is the machine's CPU use (percent of one core) during a
	// second before any load: other work disturbs every figure.
	BusyBefore float64 `json:"machine_busy_before_percent"`

	Write    []LoadResult    `json:"write,omitempty"`
	Read     []LoadResult    `json:"read,omitempty"`
	Watch    []WatchResult   `json:"watch,omitempty"`
	Failover *FailoverResult `json:"failover,omitempty"`
}

// LoadResult is one closed-loop level of the write or read section.
type LoadResult struct {
	// Mode is round-robin or leader-only (writes), linearizable or stale
	// (reads).
	Mode    string `json:"mode"`
	Clients int    `json:"clients"`
	// Conns is how many TCP connections the clients shared.
	Conns        int       `json:"connections"`
	Ops          int       `json:"ops"`
	Errors       int       `json:"errors"`
	Seconds      float64   `json:"seconds"`
	PerSecond    float64   `json:"ops_per_second"`
	Latency      Latency   `json:"latency_ms"`
	CPU          []ProcCPU `json:"cpu,omitempty"`
	ErrorSamples []string  `json:"error_samples,omitempty"`
}

// Latency is a Summary in milliseconds, for reports.
type Latency struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
}

func latencyOf(s Summary) Latency {
	return Latency{Mean: ms(s.Mean), P50: ms(s.P50), P90: ms(s.P90), P99: ms(s.P99), P999: ms(s.P999), Max: ms(s.Max)}
}

// ms is d in milliseconds with three decimals.
func ms(d time.Duration) float64 {
	return float64(d.Round(time.Microsecond)) / float64(time.Millisecond)
}

func loadResultOf(mode string, clients, conns int, r loadResult, cpu []ProcCPU) LoadResult {
	out := LoadResult{
		Mode: mode, Clients: clients, Conns: conns, Ops: r.ops, Errors: r.errors,
		Seconds: round3(r.elapsed.Seconds()), Latency: latencyOf(Summarize(r.samples)),
		CPU: cpu, ErrorSamples: r.errSamples,
	}
	if r.elapsed > 0 {
		out.PerSecond = round1(float64(r.ops) / r.elapsed.Seconds())
	}
	return out
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// WatchResult is one watcher count of the watch section.
type WatchResult struct {
	Watchers int `json:"watchers"`
	Conns    int `json:"connections"`
	// TargetRate and Rate are the writer's asked and achieved creates per
	// second; Writes counts acknowledged creates, WriteErrors the others.
	TargetRate  int     `json:"target_rate"`
	Rate        float64 `json:"rate"`
	Writes      int     `json:"writes"`
	WriteErrors int     `json:"write_errors"`
	// WriteLatency is the writer's create latency.
	WriteLatency Latency `json:"write_latency_ms"`
	// Delivery is receive time minus send time over every delivered event
	// of every watcher.
	Delivery Latency `json:"delivery_latency_ms"`
	Events   int     `json:"events"`
	// Complete counts watchers that got every acknowledged write exactly
	// once; Missing and Duplicates sum over all watchers; StreamErrors
	// counts watchers whose stream failed.
	Complete     int `json:"complete_watchers"`
	Missing      int `json:"missing_events"`
	Duplicates   int `json:"duplicate_events"`
	StreamErrors int `json:"stream_errors"`
	// DrainSeconds is how long after the last acknowledged write the last
	// watcher got its last event (how far the slowest one fell behind).
	DrainSeconds float64   `json:"drain_seconds"`
	CPU          []ProcCPU `json:"cpu,omitempty"`
	ErrorSamples []string  `json:"error_samples,omitempty"`
}

// FailoverResult is the failover section.
type FailoverResult struct {
	Clients   int    `json:"clients"`
	KilledID  string `json:"killed"`
	NewLeader string `json:"new_leader"`
	// ElectionSeconds is kill to a new leader being reported.
	ElectionSeconds float64 `json:"election_seconds"`
	// MaxGapSeconds is the longest interval without a successful write
	// (completion to completion) from one second before the kill to the
	// end; FirstWriteSeconds is kill to the first write completed after it
	// that had been sent after it.
	MaxGapSeconds     float64 `json:"max_gap_seconds"`
	FirstWriteSeconds float64 `json:"first_write_after_kill_seconds"`
	Acked             int     `json:"acknowledged_writes"`
	// Failed writes returned an error (outcome unknown to the client);
	// FailedApplied of them turned out to be stored anyway.
	Failed        int `json:"failed_writes"`
	FailedApplied int `json:"failed_writes_applied"`
	// Lost counts acknowledged creates missing on any master afterwards
	// (must be 0); Verified names the masters checked.
	Lost           int       `json:"acknowledged_lost"`
	Verified       []string  `json:"verified_on"`
	RestartSeconds float64   `json:"restart_catch_up_seconds"`
	Latency        Latency   `json:"write_latency_ms"`
	CPU            []ProcCPU `json:"cpu,omitempty"`
	ErrorSamples   []string  `json:"error_samples,omitempty"`
}
