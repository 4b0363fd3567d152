package webhook

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

var secret = []byte("webhook-test-secret-0123456789")

// receiver is a real HTTP server on loopback that records what it got,
// verifying each signature, and answers with the codes given in turn.
type receiver struct {
	mu    sync.Mutex
	ids   []string
	codes []int
	bad   int
	srv   *http.Server
	addr  string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := Verify(secret, req.Header.Get("X-Portolan-Signature"), body, time.Minute, time.Now()); err != nil {
		r.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	code := 200
	if len(r.codes) > 0 {
		code, r.codes = r.codes[0], r.codes[1:]
	}
	if code == 200 {
		r.ids = append(r.ids, req.Header.Get("X-Portolan-Event-Id"))
	}
	w.WriteHeader(code)
}

func (r *receiver) start(t *testing.T, addr string) {
	t.Helper()
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.srv = &http.Server{Handler: r}
	go r.srv.Serve(ln)
	t.Cleanup(func() { r.srv.Close() })
}

func (r *receiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

func fast() Options {
	return Options{MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Timeout: time.Second}
}

func waitIDs(t *testing.T, r *receiver, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(r.got()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("receiver got %d of %d events: %v", len(r.got()), n, r.got())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return r.got()
}

func TestDeliversInOrderSigned(t *testing.T) {
	r := &receiver{codes: []int{503, 500}} // the first event fails twice, then goes
	r.start(t, "127.0.0.1:0")
	s, err := New("http://"+r.addr+"/hook?key=abc", secret, fast())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		s.Send(strconv.Itoa(i), fmt.Appendf(nil, `{"n":%d}`, i))
	}
	ids := waitIDs(t, r, 50)
	for i, id := range ids {
		if id != strconv.Itoa(i) {
			t.Fatalf("event %d arrived as %s: %v", i, id, ids)
		}
	}
	s.Close(context.Background())
	if st := s.Stats(); st.Sent != 50 || st.Retried != 2 || st.Dropped != 0 || st.Queued != 0 || r.bad != 0 {
		t.Errorf("stats %+v, bad signatures %d", st, r.bad)
	}
}

// A receiver that is down (nothing listens) gets every event once it is
// back; a 400 is dropped, not retried.
func TestReceiverDownThenBack(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	s, err := New("http://"+addr+"/", secret, fast())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	for i := range 5 {
		s.Send(strconv.Itoa(i), []byte(`{}`))
	}
	time.Sleep(200 * time.Millisecond)
	if s.Stats().Retried == 0 {
		t.Fatal("no retry while the receiver was down")
	}
	r := &receiver{codes: []int{400}}
	r.start(t, addr)
	ids := waitIDs(t, r, 4)
	if fmt.Sprint(ids) != "[1 2 3 4]" {
		t.Errorf("after the receiver came back: %v, want [1 2 3 4] (0 refused with 400)", ids)
	}
	if st := s.Stats(); st.Rejected != 1 {
		t.Errorf("stats %+v, want one rejected", st)
	}
}

// A full queue drops the oldest, counts it, and never blocks the caller.
func TestQueueBounded(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	o := fast()
	o.MaxQueue = 10
	s, err := New("http://"+addr+"/", secret, o)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range 1000 {
		s.Send(strconv.Itoa(i), []byte(`{"x":1}`))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("1,000 sends to a dead receiver took %v", d)
	}
	if st := s.Stats(); st.Queued > 10 || st.Dropped < 990 {
		t.Errorf("stats %+v: want at most 10 queued and the rest dropped", st)
	}
	r := &receiver{}
	r.start(t, addr)
	ids := waitIDs(t, r, 10)
	if ids[len(ids)-1] != "999" {
		t.Errorf("the newest events should survive: %v", ids)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s.Close(ctx)
}

func TestVerifyRefuses(t *testing.T) {
	body := []byte(`{"a":1}`)
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	good := "t=" + ts + ",v1=" + sign(secret, ts, body)
	if err := Verify(secret, good, body, time.Minute, now); err != nil {
		t.Fatal(err)
	}
	rotating := "t=" + ts + ",v1=" + sign([]byte("the-old-secret-0123456789"), ts, body) + ",v1=" + sign(secret, ts, body)
	if err := Verify(secret, rotating, body, time.Minute, now); err != nil {
		t.Errorf("a header with the old and the new secret's signatures: %v", err)
	}
	old := strconv.FormatInt(now.Add(-time.Hour).Unix(), 10)
	for name, c := range map[string]struct {
		h    string
		body []byte
	}{
		"tampered body": {good, []byte(`{"a":2}`)},
		"other secret":  {"t=" + ts + ",v1=" + sign([]byte("another-secret-0123456789"), ts, body), body},
		"replayed":      {"t=" + old + ",v1=" + sign(secret, old, body), body},
		"garbage":       {"v1=zz", body},
		"empty":         {"", body},
	} {
		if err := Verify(secret, c.h, c.body, time.Minute, now); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	for _, u := range []string{"ftp://x/", "http://", "x", "http://user:pw@host/"} {
		if _, err := New(u, secret, Options{}); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	if _, err := New("http://127.0.0.1:1/", []byte("short"), Options{}); err == nil {
		t.Error("a 5-byte secret accepted")
	}
}

func BenchmarkSend(b *testing.B) {
	s, _ := New("http://127.0.0.1:1/", secret, Options{MaxQueue: 1 << 20, MinBackoff: time.Hour, MaxBackoff: time.Hour})
	body := []byte(`{"kind":"listener-up","port":5432}`)
	for b.Loop() {
		s.Send("1", body)
	}
	b.StopTimer()
	s.Close(canceled())
}
