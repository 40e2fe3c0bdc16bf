package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// printSection prints the table of one finished section.
func (b *Bench) printSection(s Section) {
	r := &b.report
	switch s {
	case SectionWrite:
		printLoads(b.cfg.Out, fmt.Sprintf("write: Create ConfigMap, %d B value, closed loop, %d clients per connection", r.ValueSize, r.FanOut), r.Write)
	case SectionRead:
		printLoads(b.cfg.Out, fmt.Sprintf("read: Get ConfigMap (%d keys), closed loop, %d clients per connection", b.cfg.ReadKeys, r.FanOut), r.Read)
	case SectionWatch:
		printWatch(b.cfg.Out, r.Watch)
	case SectionFailover:
		printFailover(b.cfg.Out, r.Failover)
	}
}

func printLoads(out io.Writer, title string, rows []LoadResult) {
	fmt.Fprintf(out, "\n== %s ==\n", title)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tclients\tconns\tops\terrors\tops/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\t\tCPU % (of one core)")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t\t%s\n", r.Mode, r.Clients, r.Conns, r.Ops, r.Errors,
			r.PerSecond, r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max, cpuString(r.CPU))
	}
	_ = tw.Flush()
	for _, r := range rows {
		for _, e := range r.ErrorSamples {
			fmt.Fprintf(out, "  %s %d clients error: %s\n", r.Mode, r.Clients, e)
		}
	}
}

func printWatch(out io.Writer, rows []WatchResult) {
	fmt.Fprintf(out, "\n== watch: delivery latency (receive - send) of ConfigMap creates, one open-loop writer ==\n")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "watchers\tconns\twrites/s\twrites\tp50 ms\tp99 ms\tmax ms\tcomplete\tmissing\tdups\tdrain s\twrite p99 ms\t\tCPU % (of one core)")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%d\t%.0f\t%d\t%.1f\t%.1f\t%.1f\t%d/%d\t%d\t%d\t%.2f\t%.1f\t\t%s\n", r.Watchers, r.Conns, r.Rate, r.Writes,
			r.Delivery.P50, r.Delivery.P99, r.Delivery.Max, r.Complete, r.Watchers, r.Missing, r.Duplicates,
			r.DrainSeconds, r.WriteLatency.P99, cpuString(r.CPU))
	}
	_ = tw.Flush()
	for _, r := range rows {
		if r.WriteErrors > 0 || r.StreamErrors > 0 {
			fmt.Fprintf(out, "  %d watchers: %d write errors, %d failed streams\n", r.Watchers, r.WriteErrors, r.StreamErrors)
		}
		for _, e := range r.ErrorSamples {
			fmt.Fprintf(out, "  %d watchers error: %s\n", r.Watchers, e)
		}
	}
}

func printFailover(out io.Writer, r *FailoverResult) {
	fmt.Fprintf(out, "\n== failover: SIGKILL the leader under write load ==\n")
	if r == nil {
		fmt.Fprintln(out, "  (not run)")
		return
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	row := func(k, format string, a ...any) { fmt.Fprintf(tw, "  %s\t"+format+"\n", append([]any{k}, a...)...) }
	row("writers", "%d (round robin over all masters)", r.Clients)
	row("killed leader", "%s; new leader %s reported after %.2f s", r.KilledID, r.NewLeader, r.ElectionSeconds)
	row("longest interval without a successful write", "%.3f s", r.MaxGapSeconds)
	row("kill -> first success of a write sent after it", "%.3f s", r.FirstWriteSeconds)
	row("acknowledged writes", "%d", r.Acked)
	row("failed writes (outcome unknown)", "%d (%d of them applied)", r.Failed, r.FailedApplied)
	row("acknowledged writes lost", "%d (checked on %d masters)", r.Lost, len(r.Verified))
	row("restart -> caught up", "%.2f s", r.RestartSeconds)
	row("write latency", "p50 %.1f ms, p99 %.1f ms, max %.1f ms", r.Latency.P50, r.Latency.P99, r.Latency.Max)
	row("CPU % (of one core)", "%s", cpuString(r.CPU))
	_ = tw.Flush()
	for _, e := range r.ErrorSamples {
		fmt.Fprintf(out, "  error: %s\n", e)
	}
}

// cpuString is "m1(leader) 85, m2 40, m3 41, bench 30, machine 190".
func cpuString(cpu []ProcCPU) string {
	parts := make([]string, 0, len(cpu))
	for _, c := range cpu {
		name := c.Name
		if c.Role == "leader" {
			name += "(leader)"
		}
		parts = append(parts, fmt.Sprintf("%s %.0f", name, c.Percent))
	}
	return strings.Join(parts, ", ")
}
