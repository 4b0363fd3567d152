// Package webhook delivers events to one URL as signed JSON POSTs: in
// order, one in flight, retried with a capped, jittered backoff while the
// receiver is down or failing, from a bounded queue that drops the oldest
// when full. The caller never blocks.
//
// Each request carries X-Portolan-Event-Id (for idempotent receivers) and
// X-Portolan-Signature: "t=UNIX,v1=HEX", HEX being HMAC-SHA256 of
// "UNIX.BODY" under the shared secret; Verify checks it.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portolan-dev/portolan"
)

// Options bound a Sender; zero fields take the defaults.
type Options struct {
	MaxQueue   int           // events held for delivery (default 10,000)
	MaxBytes   int           // bytes held for delivery (default 16 MiB)
	Timeout    time.Duration // one request (default 10s)
	MinBackoff time.Duration // first retry (default 1s)
	MaxBackoff time.Duration // cap between retries (default 5m)
	Logger     *slog.Logger
	Client     *http.Client // default: no redirects, Timeout
}

// Stats are the sender's counters, for /metrics. Dropped counts the
// events lost to a full queue, to an event larger than MaxBytes, and to a
// Close whose deadline passed.
type Stats struct {
	Sent, Retried, Dropped, Rejected uint64 // Rejected: a 4xx other than 408 and 429
	Queued, QueuedBytes              int
}

type event struct {
	seq  uint64 // the queue's own order: ids come from the caller and may repeat
	id   string
	body []byte
}

// Sender delivers to one URL. It is safe for concurrent use.
type Sender struct {
	url    string
	secret []byte
	o      Options

	mu     sync.Mutex
	queue  []event
	bytes  int
	seq    uint64
	wake   chan struct{}
	closed bool

	sent, retried, dropped, rejected atomic.Uint64
	done                             chan struct{}
	stop                             context.CancelFunc
	ctx                              context.Context
}

// New returns a running Sender to rawURL signed with secret.
func New(rawURL string, secret []byte, o Options) (*Sender, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, portolan.Errorf(portolan.EINVALID, "webhook URL %q is not valid: want http(s)://HOST[:PORT]/PATH, without a user or password", rawURL)
	}
	if len(secret) < 16 {
		return nil, portolan.Errorf(portolan.EINVALID, "webhook secret is %d bytes: want at least 16", len(secret))
	}
	if o.MaxQueue <= 0 {
		o.MaxQueue = 10000
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 16 << 20
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(5*time.Minute, o.MinBackoff)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: o.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	s := &Sender{url: u.String(), secret: append([]byte(nil), secret...), o: o, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.ctx, s.stop = context.WithCancel(context.Background())
	go s.loop()
	return s, nil
}

// Send queues one event (a JSON body) with its id. It never blocks: when
// the queue is full the oldest events are dropped and counted.
func (s *Sender) Send(id string, body []byte) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if len(body) > s.o.MaxBytes { // would empty the queue and still not fit
		s.mu.Unlock()
		s.dropped.Add(1)
		s.o.Logger.Error("webhook event larger than the queue's byte bound; dropped", "event", id, "bytes", len(body))
		return
	}
	s.seq++
	s.queue = append(s.queue, event{s.seq, id, body})
	s.bytes += len(body)
	for len(s.queue) > s.o.MaxQueue || s.bytes > s.o.MaxBytes {
		s.bytes -= len(s.queue[0].body)
		s.queue[0] = event{}
		s.queue = s.queue[1:]
		s.dropped.Add(1)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Stats returns the counters now.
func (s *Sender) Stats() Stats {
	s.mu.Lock()
	q, b := len(s.queue), s.bytes
	s.mu.Unlock()
	return Stats{Sent: s.sent.Load(), Retried: s.retried.Load(), Dropped: s.dropped.Load(), Rejected: s.rejected.Load(), Queued: q, QueuedBytes: b}
}

// Close stops taking events and delivers what is queued until ctx ends;
// what is left then is dropped and counted. Calling it again returns at
// once.
func (s *Sender) Close(ctx context.Context) {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	select {
	case <-s.done:
	case <-ctx.Done():
		s.stop()
		<-s.done
	}
	s.stop()
	s.mu.Lock()
	s.dropped.Add(uint64(len(s.queue)))
	s.queue, s.bytes = nil, 0
	s.mu.Unlock()
}

func (s *Sender) loop() {
	defer close(s.done)
	failures := 0
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return
			}
			select {
			case <-s.wake:
				continue
			case <-s.ctx.Done():
				return
			}
		}
		ev := s.queue[0]
		s.mu.Unlock()
		retry, wait, err := s.deliver(ev)
		if retry {
			failures++
			s.retried.Add(1)
			if failures == 1 || failures%10 == 0 {
				s.o.Logger.Warn("webhook delivery failed; retrying", "url", redacted(s.url), "event", ev.id, "failures", failures, "err", err)
			}
			if wait <= 0 {
				wait = s.backoff(failures)
			}
			select {
			case <-time.After(wait):
			case <-s.ctx.Done():
				return
			}
			continue
		}
		failures = 0
		s.mu.Lock()
		if len(s.queue) > 0 && s.queue[0].seq == ev.seq { // not dropped meanwhile
			s.bytes -= len(ev.body)
			s.queue[0] = event{}
			s.queue = s.queue[1:]
		}
		s.mu.Unlock()
	}
}

// deliver POSTs one event: retry says whether to try it again, and wait
// how long the receiver asked (Retry-After) when it did.
func (s *Sender) deliver(ev event) (retry bool, wait time.Duration, err error) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, s.url, bytes.NewReader(ev.body))
	if err != nil {
		return false, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "portolan-webhook")
	req.Header.Set("X-Portolan-Event-Id", ev.id)
	req.Header.Set("X-Portolan-Signature", "t="+ts+",v1="+sign(s.secret, ts, ev.body))
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return true, 0, errors.New(strings.ReplaceAll(err.Error(), s.url, redacted(s.url)))
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		s.sent.Add(1)
		return false, 0, nil
	case c == http.StatusTooManyRequests || c == http.StatusRequestTimeout || c >= 500:
		wait = min(retryAfter(resp.Header.Get("Retry-After"), time.Now()), s.o.MaxBackoff)
		return true, wait, fmt.Errorf("receiver answered %d", c)
	default:
		s.rejected.Add(1)
		s.o.Logger.Error("webhook receiver refused an event; dropped", "url", redacted(s.url), "event", ev.id, "status", c)
		return false, 0, nil
	}
}

// retryAfter reads a Retry-After header, in seconds or an HTTP date; 0
// when absent, unreadable or past.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		return time.Duration(min(max(secs, 0), 1<<31)) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

func (s *Sender) backoff(n int) time.Duration {
	d := s.o.MinBackoff
	for i := 1; i < n && d < s.o.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.o.MaxBackoff)
	return d - time.Duration(rand.Int64N(int64(d/4)+1))
}

func sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a request's X-Portolan-Signature header against body and
// secret, refusing a timestamp further than tolerance from now (a replay).
// The header may carry several v1 values (a sender part way through a
// secret rotation); one match is enough. The comparison is constant-time.
func Verify(secret []byte, header string, body []byte, tolerance time.Duration, now time.Time) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 || len(sigs) > 8 {
		return errors.New("webhook: signature header is not t=UNIX,v1=HEX")
	}
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook: signature is %v old: want within %v", d.Round(time.Second), tolerance)
	}
	want, _ := hex.DecodeString(sign(secret, ts, body))
	for _, sig := range sigs {
		if got, err := hex.DecodeString(sig); err == nil && hmac.Equal(want, got) {
			return nil
		}
	}
	return errors.New("webhook: signature does not match")
}

// redacted is the URL without its query, which may carry a receiver's key.
func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "webhook URL"
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}
