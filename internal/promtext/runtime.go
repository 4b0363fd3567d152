package promtext

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/portolan-dev/portolan/internal/procfs"
)

// Go writes the Go runtime's series under the names Prometheus's Go
// collector uses. They come from runtime.ReadMemStats (a brief
// stop-the-world per scrape) rather than runtime/metrics, whose package
// initialisation every portolan process would pay.
func (p *Writer) Go() {
	var s debug.GCStats
	s.PauseQuantiles = make([]time.Duration, 5) // min, 25%, 50%, 75%, max
	debug.ReadGCStats(&s)
	p.header("go_gc_duration_seconds", "A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.", "summary")
	for i, q := range []string{"0", "0.25", "0.5", "0.75", "1"} {
		p.sample("go_gc_duration_seconds", nil, nil, "quantile", q, s.PauseQuantiles[i].Seconds())
	}
	p.sample("go_gc_duration_seconds_sum", nil, nil, "", "", s.PauseTotal.Seconds())
	p.sample("go_gc_duration_seconds_count", nil, nil, "", "", float64(s.NumGC))

	p.Single("go_gc_gomemlimit_bytes", "Go runtime memory limit configured by the user, otherwise math.MaxInt64.", "gauge", float64(debug.SetMemoryLimit(-1)))
	p.Single("go_goroutines", "Number of goroutines that currently exist.", "gauge", float64(runtime.NumGoroutine()))
	p.header("go_info", "Information about the Go environment.", "gauge")
	p.sample("go_info", []string{"version"}, []string{runtime.Version()}, "", "", 1)

	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	for _, g := range []struct {
		name, help, typ string
		v               uint64
	}{
		{"go_memstats_alloc_bytes", "Number of heap bytes allocated and currently in use.", "gauge", m.Alloc},
		{"go_memstats_alloc_bytes_total", "Total number of heap bytes allocated, even if freed.", "counter", m.TotalAlloc},
		{"go_memstats_frees_total", "Total number of heap objects frees.", "counter", m.Frees},
		{"go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and currently in use.", "gauge", m.HeapAlloc},
		{"go_memstats_heap_idle_bytes", "Number of heap bytes waiting to be used.", "gauge", m.HeapIdle},
		{"go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use.", "gauge", m.HeapInuse},
		{"go_memstats_heap_objects", "Number of currently allocated objects.", "gauge", m.HeapObjects},
		{"go_memstats_heap_released_bytes", "Number of heap bytes released to OS.", "gauge", m.HeapReleased},
		{"go_memstats_heap_sys_bytes", "Number of heap bytes obtained from system.", "gauge", m.HeapSys},
		{"go_memstats_mallocs_total", "Total number of heap objects allocated.", "counter", m.Mallocs},
		{"go_memstats_next_gc_bytes", "Number of heap bytes when next garbage collection will take place.", "gauge", m.NextGC},
		{"go_memstats_stack_inuse_bytes", "Number of bytes obtained from system for stack allocator.", "gauge", m.StackInuse},
		{"go_memstats_sys_bytes", "Number of bytes obtained from system.", "gauge", m.Sys},
	} {
		p.Single(g.name, g.help, g.typ, float64(g.v))
	}
	p.Single("go_memstats_last_gc_time_seconds", "Number of seconds since 1970 of last garbage collection.", "gauge", float64(m.LastGC)/1e9)
	p.Single("go_sched_gomaxprocs_threads", "The current runtime.GOMAXPROCS setting.", "gauge", float64(runtime.GOMAXPROCS(0)))
	threads, _ := runtime.ThreadCreateProfile(nil)
	p.Single("go_threads", "Number of OS threads created.", "gauge", float64(threads))
}

// Process writes the process series Prometheus's process collector
// names, where /proc has them (Linux); elsewhere it writes none.
func (p *Writer) Process() {
	st, err := procfs.ReadStat(0)
	if err != nil {
		return
	}
	p.Single("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter", float64(st.UTime+st.STime)/procfs.UserHZ)
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		p.Single("process_open_fds", "Number of open file descriptors.", "gauge", float64(len(fds)))
	}
	if max, ok := procLimit("Max open files"); ok {
		p.Single("process_max_fds", "Maximum number of open file descriptors.", "gauge", max)
	}
	p.Single("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", float64(st.RSSPages)*float64(os.Getpagesize()))
	if bt := procfs.BootTime(); !bt.IsZero() {
		p.Single("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", "gauge", float64(bt.Unix())+float64(st.StartTicks)/procfs.UserHZ)
	}
	p.Single("process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge", float64(st.VSize))
}

// procLimit returns the soft limit of a /proc/self/limits row.
func procLimit(row string) (float64, bool) {
	b, err := os.ReadFile("/proc/self/limits")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, row); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return 0, false
			}
			v, err := strconv.ParseFloat(f[0], 64)
			return v, err == nil
		}
	}
	return 0, false
}
