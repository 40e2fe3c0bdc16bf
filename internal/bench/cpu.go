package bench

import (
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc CPU times (100 on Linux for
// every architecture Go supports).
const clockTicks = 100

// ProcCPU is the CPU one process used during a measurement, in percent of
// one core (200 means two cores busy all the time).
type ProcCPU struct {
	Name    string  `json:"name"`
	Role    string  `json:"role,omitempty"`
	Percent float64 `json:"cpu_percent"`
}

// cpuMeter measures the CPU of the masters, of this process and of the
// whole machine between start and stop, from /proc. Where /proc is missing
// it measures nothing.
type cpuMeter struct {
	pids    map[string]int
	procs   map[string]time.Duration
	self    time.Duration
	ticks   ticks
	started time.Time
}

func startCPU(pids map[string]int) *cpuMeter {
	m := &cpuMeter{pids: pids, procs: map[string]time.Duration{}, started: time.Now()}
	for name, pid := range pids {
		if d, ok := procCPU(strconv.Itoa(pid)); ok {
			m.procs[name] = d
		}
	}
	m.self, _ = procCPU("self")
	m.ticks = machineTicks()
	return m
}

// stop returns the masters (sorted by name, labelled with roles), the
// benchmark itself, the kernel's interrupt work (loopback networking runs
// there), everything else, and the whole machine (in percent of one core
// too, so 2 cores busy reads 200).
func (m *cpuMeter) stop(roles map[string]string) []ProcCPU {
	wall := time.Since(m.started)
	if wall <= 0 {
		return nil
	}
	pct := func(d time.Duration) float64 { return round1(100 * float64(d) / float64(wall)) }
	var out []ProcCPU
	for name, before := range m.procs {
		if now, ok := procCPU(strconv.Itoa(m.pids[name])); ok && now >= before {
			out = append(out, ProcCPU{Name: name, Role: roles[name], Percent: pct(now - before)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if now, ok := procCPU("self"); ok {
		out = append(out, ProcCPU{Name: "bench", Role: "client", Percent: pct(now - m.self)})
	}
	if t := machineTicks(); t.total > m.ticks.total {
		// Ticks to percent of one core.
		tp := func(n uint64) float64 { return round1(100 * float64(n) / (wall.Seconds() * clockTicks)) }
		all, irq := tp(t.busy-m.ticks.busy), tp(t.irq-m.ticks.irq)
		// "other" is every other process (and kernel thread): a large
		// value means the figures are disturbed.
		other := all - irq
		for _, p := range out {
			other -= p.Percent
		}
		out = append(out, ProcCPU{Name: "irq", Role: "kernel interrupts", Percent: irq},
			ProcCPU{Name: "other", Role: "rest of the machine", Percent: round1(max(other, 0))},
			ProcCPU{Name: "machine", Role: "all cores", Percent: all})
	}
	return out
}

// procCPU returns the user+system CPU time of /proc/<pid>/stat.
func procCPU(pid string) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, false
	}
	s := string(b)
	// The command name (field 2) may hold spaces; fields resume after ')'.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, true
}

// ticks are CPU ticks of all CPUs: busy (irq included), in interrupts
// (hard and soft), and in total.
type ticks struct{ busy, irq, total uint64 }

// machineTicks reads the "cpu" line of /proc/stat: user nice system idle
// iowait irq softirq steal (guest time is already counted in user).
func machineTicks() ticks {
	var t ticks
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return t
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return t
	}
	for i, v := range f[1:9] {
		n, _ := strconv.ParseUint(v, 10, 64)
		t.total += n
		switch i {
		case 3, 4: // idle, iowait
		case 5, 6: // irq, softirq
			t.irq += n
			t.busy += n
		default:
			t.busy += n
		}
	}
	return t
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
