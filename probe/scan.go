package probe

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portolan-dev/portolan"
)

// Options tune a scan. The zero value is a sensible default: concurrency
// from the descriptor limit, adaptive timeout, no rate limit, no retry.
type Options struct {
	// Concurrency caps connects in flight; 0 sizes it from RLIMIT_NOFILE
	// (after raising the soft limit to the hard one).
	Concurrency int
	// Rate caps connection attempts per second; 0 is unlimited.
	Rate float64
	// Timeout fixes how long a probe waits for an answer; 0 adapts it to
	// the observed round-trip time (see Stats.Timeout).
	Timeout time.Duration
	// Retries is how many more times a port that gave no answer is tried.
	Retries int
	// Banner reads what an open port's server says first, up to
	// BannerBytes (default 256) within BannerTimeout (default 1 s).
	Banner        bool
	BannerBytes   int
	BannerTimeout time.Duration
	// Progress, when set, is called about ten times a second with the
	// number of probes finished and the total.
	Progress func(done, total int)
}

// Adaptive timeout bounds: before any answer a probe waits InitialTimeout;
// after, srtt+4*rttvar (RFC 6298) clamped to [MinTimeout, MaxTimeout].
// Each retry round doubles it.
const (
	InitialTimeout = time.Second
	MinTimeout     = 100 * time.Millisecond
	MaxTimeout     = 1500 * time.Millisecond
	initialWindow  = 256
	maxWindow      = 16384
)

// Stats describe a finished scan (nmap's XML <times> and the summary line).
type Stats struct {
	Attempts    int           `json:"attempts"`
	SRTT        time.Duration `json:"srtt"`
	RTTVar      time.Duration `json:"rttvar"`
	Timeout     time.Duration `json:"timeout"`
	Window      int           `json:"window"`       // connects in flight allowed at the end
	Limit       int           `json:"limit"`        // the descriptor budget
	MaxInFlight int           `json:"max_inflight"` // the most connects in flight at once
	Elapsed     time.Duration `json:"elapsed"`
}

// scan is one Scan call's shared state.
type scan struct {
	o      Options
	probes []Probe
	res    []Result

	mu          sync.Mutex
	cond        *sync.Cond
	inflight    int
	maxInflight int
	window      int
	limit       int
	srtt        time.Duration
	rttvar      time.Duration
	minRTT      time.Duration
	samples     int

	done     atomic.Int64
	attempts atomic.Int64
	pace     *pacer
	banners  sync.WaitGroup
	bannerCh chan struct{}
}

// Scan connects to every probe and returns one result per probe, in the
// same order. Probes that got no answer are retried o.Retries times with a
// doubled timeout. A cancelled ctx ends it early with ctx's error.
func Scan(ctx context.Context, probes []Probe, o Options) ([]Result, Stats, error) {
	start := time.Now()
	s := &scan{o: o, probes: probes, res: make([]Result, len(probes))}
	s.cond = sync.NewCond(&s.mu)
	s.limit = o.Concurrency
	if s.limit <= 0 {
		s.limit = DefaultConcurrency()
	}
	s.window = min(s.limit, initialWindow)
	if o.Concurrency > 0 {
		s.window = s.limit // the user chose it: no slow start
	}
	if o.Rate > 0 {
		s.pace = &pacer{interval: time.Duration(float64(time.Second) / o.Rate)}
	}
	if s.o.BannerBytes <= 0 {
		s.o.BannerBytes = 256
	}
	if s.o.BannerTimeout <= 0 {
		s.o.BannerTimeout = time.Second
	}
	s.bannerCh = make(chan struct{}, 64)
	for i, p := range probes {
		s.res[i] = Result{Target: p.Target, Addr: p.Addr, Port: portolan.Port(p.Addr.Port()), Proto: portolan.TCP}
	}
	stopProgress := s.progress(ctx)
	idx := make([]int, len(probes))
	for i := range idx {
		idx[i] = i
	}
	var err error
	scale := 1.0
	for round := 0; round <= max(o.Retries, 0) && len(idx) > 0; round++ {
		if err = s.pass(ctx, idx, scale); err != nil {
			break
		}
		idx = idx[:0]
		for i := range s.res {
			if s.res[i].State == Filtered && s.res[i].Reason == "no-response" {
				idx = append(idx, i)
			}
		}
		scale *= 2
	}
	s.banners.Wait()
	stopProgress()
	st := s.stats()
	st.Elapsed = time.Since(start)
	return s.res, st, err
}

func (s *scan) stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{
		Attempts: int(s.attempts.Load()), SRTT: s.srtt, RTTVar: s.rttvar, Timeout: s.timeoutLocked(1),
		Window: s.window, Limit: s.limit, MaxInFlight: s.maxInflight,
	}
}

func (s *scan) progress(ctx context.Context) (stop func()) {
	if s.o.Progress == nil {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-quit:
				s.o.Progress(int(s.done.Load()), len(s.probes))
				return
			case <-ctx.Done():
				return
			case <-t.C:
				s.o.Progress(int(s.done.Load()), len(s.probes))
			}
		}
	}()
	return func() { close(quit); wg.Wait() }
}

// timeout is how long a probe may wait now, times scale for retry rounds.
func (s *scan) timeout(scale float64) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.timeoutLocked(scale)
}

func (s *scan) timeoutLocked(scale float64) time.Duration {
	if s.o.Timeout > 0 {
		return s.o.Timeout
	}
	t := InitialTimeout
	if s.samples > 0 {
		t = min(max(s.srtt+4*s.rttvar, 2*s.srtt, MinTimeout), MaxTimeout)
	}
	return time.Duration(float64(t) * scale)
}

// acquire waits for room in the window; false when ctx ended.
func (s *scan) acquire(ctx context.Context) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.inflight >= s.window && ctx.Err() == nil {
		s.cond.Wait()
	}
	if ctx.Err() != nil {
		return false
	}
	s.inflight++
	s.maxInflight = max(s.maxInflight, s.inflight)
	return true
}

// release frees a window slot. An answer (open or closed) is an RTT sample
// and grows the window by one, which doubles it once per round trip as
// TCP's slow start does: slow hosts get more connects in flight, loopback
// needs few because its answers come back inside connect(). Growth stops
// while the smoothed RTT is more than twice the smallest seen (plus 2 ms):
// the extra time is queueing on the path, and more in flight would only
// lengthen the queue and turn late answers into false "filtered".
func (s *scan) release(answered bool, rtt time.Duration) {
	s.mu.Lock()
	s.inflight--
	if answered {
		if s.minRTT == 0 || rtt < s.minRTT {
			s.minRTT = rtt
		}
		if s.window < s.limit && (s.samples < 8 || s.srtt <= 2*s.minRTT+2*time.Millisecond) {
			s.window++
		}
		if s.samples == 0 {
			s.srtt, s.rttvar = rtt, rtt/2
		} else {
			d := s.srtt - rtt
			if d < 0 {
				d = -d
			}
			s.rttvar = (3*s.rttvar + d) / 4
			s.srtt = (7*s.srtt + rtt) / 8
		}
		s.samples++
	}
	s.mu.Unlock()
	s.cond.Signal()
}

// shrink halves the window when the kernel runs short of descriptors,
// buffers or source ports, and lowers the limit so it stays there.
func (s *scan) shrink() {
	s.mu.Lock()
	s.window = max(s.inflight/2, 8)
	s.limit = max(s.window, 8)
	s.mu.Unlock()
}

// wake lets launchers waiting in acquire see a cancelled ctx.
func (s *scan) wake() {
	s.mu.Lock()
	s.mu.Unlock()
	s.cond.Broadcast()
}

func (s *scan) finish(i int, st State, reason string, rtt time.Duration, errText string) {
	r := &s.res[i]
	first := r.State == Pending
	r.State, r.Reason, r.RTT, r.Error = st, reason, rtt, errText
	if st == Open || st == Closed {
		r.RTTms = float64(rtt.Microseconds()) / 1000
	}
	if first {
		s.done.Add(1)
	}
}

func launchers() int { return max(2, runtime.GOMAXPROCS(0)) }

// pacer spaces attempts interval apart across all launchers (--rate).
type pacer struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func (p *pacer) wait(ctx context.Context) bool {
	if p == nil {
		return ctx.Err() == nil
	}
	p.mu.Lock()
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	at := p.next
	p.next = p.next.Add(p.interval)
	p.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
