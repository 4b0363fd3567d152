package webhook

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Close delivers what is queued before it returns.
func TestCloseDrains(t *testing.T) {
	r := &receiver{}
	r.start(t, "127.0.0.1:0")
	s, err := New("http://"+r.addr+"/", secret, fast())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		s.Send(strconv.Itoa(i), []byte(`{}`))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.Close(ctx)
	if got := r.got(); len(got) != 200 || got[199] != "199" {
		t.Fatalf("after Close the receiver has %d events, want all 200", len(got))
	}
	s.Send("late", []byte(`{}`)) // after Close: ignored, no panic
	s.Close(ctx)                 // twice: returns at once
	if st := s.Stats(); st.Sent != 200 || st.Queued != 0 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

// Close against a dead receiver gives up at its deadline and counts the
// events it could not deliver.
func TestCloseDeadline(t *testing.T) {
	addr := deadAddr(t)
	s, err := New("http://"+addr+"/", secret, fast())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		s.Send(strconv.Itoa(i), []byte(`{}`))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	s.Close(ctx)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v past a 150ms deadline", d)
	}
	if st := s.Stats(); st.Dropped != 3 || st.Queued != 0 {
		t.Errorf("stats %+v: want the 3 undelivered events dropped", st)
	}
}

// Many goroutines sending at once: nothing is lost or duplicated, and each
// goroutine's events arrive in the order it sent them.
func TestConcurrentSend(t *testing.T) {
	r := &receiver{}
	r.start(t, "127.0.0.1:0")
	s, err := New("http://"+r.addr+"/", secret, fast())
	if err != nil {
		t.Fatal(err)
	}
	const G, N = 8, 40
	var wg sync.WaitGroup
	for g := range G {
		wg.Go(func() {
			for i := range N {
				s.Send(fmt.Sprintf("%d-%d", g, i), []byte(`{}`))
				_ = s.Stats()
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.Close(ctx)
	got := r.got()
	if len(got) != G*N {
		t.Fatalf("receiver got %d events, want %d", len(got), G*N)
	}
	next := make([]int, G)
	for _, id := range got {
		var g, i int
		fmt.Sscanf(id, "%d-%d", &g, &i)
		if i != next[g] {
			t.Fatalf("goroutine %d: event %d arrived when %d was due", g, i, next[g])
		}
		next[g]++
	}
}

// The byte bound drops the oldest too, and an event larger than the whole
// bound is dropped at once rather than emptying the queue.
func TestQueueByteBound(t *testing.T) {
	o := fast()
	o.MaxBytes = 100
	s, err := New("http://"+deadAddr(t)+"/", secret, o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(canceled())
	for i := range 10 {
		s.Send(strconv.Itoa(i), bytes.Repeat([]byte("x"), 30))
	}
	if st := s.Stats(); st.Queued != 3 || st.QueuedBytes != 90 || st.Dropped != 7 {
		t.Errorf("stats %+v: want 3 events (90 bytes) held and 7 dropped", st)
	}
	s.Send("huge", bytes.Repeat([]byte("x"), 101))
	if st := s.Stats(); st.Queued != 3 || st.Dropped != 8 {
		t.Errorf("stats %+v: the oversized event should be dropped alone", st)
	}
}

// A 429 with Retry-After is waited out (bounded by MaxBackoff), not retried
// at the backoff's pace.
func TestRetryAfter(t *testing.T) {
	var mu sync.Mutex
	var times []time.Time
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		times = append(times, time.Now())
		if len(times) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	o := fast()
	o.MaxBackoff = 5 * time.Second
	s, err := New("http://"+srv+"/", secret, o)
	if err != nil {
		t.Fatal(err)
	}
	s.Send("a", []byte(`{}`))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.Close(ctx)
	mu.Lock()
	defer mu.Unlock()
	if len(times) != 2 {
		t.Fatalf("%d requests, want 2", len(times))
	}
	if d := times[1].Sub(times[0]); d < 900*time.Millisecond {
		t.Errorf("retried after %v, want the 1s Retry-After honoured", d)
	}
	if got := retryAfter(time.Unix(100, 0).UTC().Format(http.TimeFormat), time.Unix(90, 0)); got != 10*time.Second {
		t.Errorf("Retry-After as a date: %v, want 10s", got)
	}
}

// A redirect is not followed (its target never sees the event), and a
// receiver that never answers times out and is retried.
func TestNoRedirectAndTimeout(t *testing.T) {
	var hit bool
	var mu sync.Mutex
	target := serve(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { mu.Lock(); hit = true; mu.Unlock() }))
	redir := serve(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, "http://"+target+"/", http.StatusTemporaryRedirect)
	}))
	s, err := New("http://"+redir+"/", secret, fast())
	if err != nil {
		t.Fatal(err)
	}
	s.Send("a", []byte(`{}`))
	s.Close(deadline(t, 5*time.Second))
	mu.Lock()
	if hit {
		t.Error("the redirect was followed")
	}
	mu.Unlock()

	release := make(chan struct{})
	hang := serve(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer close(release)
	o := fast()
	o.Timeout = 100 * time.Millisecond
	s, err = New("http://"+hang+"/", secret, o)
	if err != nil {
		t.Fatal(err)
	}
	s.Send("a", []byte(`{}`))
	time.Sleep(400 * time.Millisecond)
	if st := s.Stats(); st.Retried == 0 || st.Sent != 0 {
		t.Errorf("stats %+v: want a hung receiver timed out and retried", st)
	}
	s.Close(canceled())
}

// The secret never appears in a log line, even when a query key in the URL
// would (the query is left out too).
func TestNoSecretInLogs(t *testing.T) {
	var buf syncBuffer
	o := fast()
	o.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	s, err := New("http://"+deadAddr(t)+"/hook?key=receiverkey", secret, o)
	if err != nil {
		t.Fatal(err)
	}
	s.Send("a", []byte(`{}`))
	time.Sleep(100 * time.Millisecond)
	s.Close(canceled())
	out := buf.String()
	if !strings.Contains(out, "retrying") {
		t.Fatalf("no failure logged: %q", out)
	}
	if strings.Contains(out, string(secret)) || strings.Contains(out, "receiverkey") {
		t.Errorf("a secret in the log: %q", out)
	}
}

func TestNewFromSecretFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	loose := filepath.Join(dir, "loose")
	os.WriteFile(good, append(secret, '\n'), 0o600)
	os.WriteFile(loose, secret, 0o644)
	os.Chmod(loose, 0o644)
	s, err := NewFromSecretFile("http://127.0.0.1:1/", good, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close(canceled())
	if !bytes.Equal(s.secret, secret) {
		t.Error("the secret file's newline was kept")
	}
	_, err = NewFromSecretFile("http://127.0.0.1:1/", loose, Options{})
	if err == nil || !strings.Contains(err.Error(), loose) || strings.Contains(err.Error(), string(secret)) {
		t.Errorf("a group-readable secret file: %v", err)
	}
}

func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func deadline(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// The backoff doubles from MinBackoff, stays under MaxBackoff, and its
// jitter takes at most a quarter off.
func TestBackoff(t *testing.T) {
	s := &Sender{o: Options{MinBackoff: time.Second, MaxBackoff: time.Minute}}
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 7: time.Minute, 1000: time.Minute} {
		for range 100 {
			if d := s.backoff(n); d > want || d < want*3/4 {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, d, want*3/4, want)
			}
		}
	}
}

// A receiver answering 200 with an endless body is read only so far: the
// event counts as sent and the next one goes.
func TestResponseBodyBounded(t *testing.T) {
	addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		chunk := bytes.Repeat([]byte("x"), 32<<10)
		for range 1000 { // 32 MiB, far past what the sender reads
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	s, err := New("http://"+addr+"/", secret, fast())
	if err != nil {
		t.Fatal(err)
	}
	s.Send("a", []byte(`{}`))
	s.Send("b", []byte(`{}`))
	s.Close(deadline(t, 5*time.Second))
	if st := s.Stats(); st.Sent != 2 {
		t.Errorf("stats %+v: want both sent", st)
	}
}
