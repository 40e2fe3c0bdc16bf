package nodeagent

import (
	"bufio"
	"fmt"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"golang.org/x/sys/unix"
)

// capacity is the node's capacity: detected from the machine unless the
// config says otherwise (hollow nodes default to kwok's 32 cpu, 256Gi).
func capacity(cfg Config) (map[string]string, error) {
	cpu, mem := cfg.CPU, cfg.Memory
	if cfg.Simulate > 0 {
		cpu, mem = orDefault(cpu, "32"), orDefault(mem, "256Gi")
	}
	if cpu == "" {
		cpu = strconv.Itoa(goruntime.NumCPU())
	}
	if mem == "" {
		kb, err := memTotalKiB()
		if err != nil {
			return nil, fmt.Errorf("detect memory (set --memory): %w", err)
		}
		mem = strconv.FormatUint(kb, 10) + "Ki"
	}
	return map[string]string{"cpu": cpu, "memory": mem, "pods": strconv.Itoa(cfg.MaxPods)}, nil
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

func memTotalKiB() (uint64, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			return strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/meminfo has no MemTotal")
}

// systemInfo describes the machine the agent runs on.
func systemInfo(version, runtimeName string) *gantryv1.NodeSystemInfo {
	info := &gantryv1.NodeSystemInfo{OperatingSystem: goruntime.GOOS, Architecture: goruntime.GOARCH,
		KubeletVersion: version, ContainerRuntimeVersion: runtimeName + "://" + version,
		MachineId: readTrim("/etc/machine-id"), BootId: readTrim("/proc/sys/kernel/random/boot_id"), OsImage: osImage()}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		info.KernelVersion = unix.ByteSliceToString(u.Release[:])
	}
	return info
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func osImage() string {
	for _, line := range strings.Split(readTrim("/etc/os-release"), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return goruntime.GOOS
}
