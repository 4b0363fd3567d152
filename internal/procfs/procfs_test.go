package procfs

import (
	"os"
	"testing"
	"time"
)

// A real stat line of a process whose name holds spaces and parentheses:
// the fields are counted from the last ')'.
const statLine = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 190 0 0 0 7 3 0 0 20 0 1 0 151803 10678272 1234 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"

func TestParseStat(t *testing.T) {
	s, err := ParseStat([]byte(statLine))
	if err != nil {
		t.Fatal(err)
	}
	want := Stat{Comm: "a (b) c", State: 'S', PPID: 1, PGRP: 4242, Session: 4242, Flags: 4194560, UTime: 7, STime: 3, StartTicks: 151803, VSize: 10678272, RSSPages: 1234}
	if s != want {
		t.Errorf("ParseStat = %+v, want %+v", s, want)
	}
	for _, bad := range []string{"", "1 comm S 1", "1 (x) S 1 2 3", "1 (x) SS 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22",
		"1 (x) S -1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22"} {
		if _, err := ParseStat([]byte(bad)); err == nil {
			t.Errorf("ParseStat(%q) accepted", bad)
		}
	}
}

func TestParseStatusUIDs(t *testing.T) {
	status := "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t1000\t1001\t1002\t1003\nGid:\t0\t0\t0\t0\n"
	u, err := ParseStatusUIDs([]byte(status))
	if err != nil || u != (UIDs{1000, 1001, 1002, 1003}) {
		t.Errorf("ParseStatusUIDs = %+v, %v", u, err)
	}
	if _, err := ParseStatusUIDs([]byte("Name:\tx\nUid:\t1\t2\n")); err == nil {
		t.Error("a short Uid line was accepted")
	}
	if u, err := ParseStatusUIDs([]byte("Uid:\t5\t6\t7\t8\n")); err != nil || u.Real != 5 {
		t.Errorf("a Uid line first = %+v, %v", u, err)
	}
}

func TestParseBootTimeAndDec(t *testing.T) {
	bt, ok := ParseBootTime([]byte("cpu  1 2 3\nintr 5\nbtime 1764359000\nprocesses 9\n"))
	if !ok || !bt.Equal(time.Unix(1764359000, 0)) {
		t.Errorf("ParseBootTime = %v %v", bt, ok)
	}
	if v, ok := ParseDec([]byte("18446744073709551615")); !ok || v != 1<<64-1 {
		t.Errorf("max uint64: %d %v", v, ok)
	}
	for _, bad := range []string{"", "18446744073709551616", "1a", "-1", "123456789012345678901"} {
		if _, ok := ParseDec([]byte(bad)); ok {
			t.Errorf("ParseDec(%q) accepted", bad)
		}
	}
	if n := testing.AllocsPerRun(100, func() { ParseDec([]byte("151803")) }); n != 0 {
		t.Errorf("ParseDec allocates %v times", n)
	}
}

// This process's own stat agrees with what the runtime knows of it.
func TestReadStatSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	s, err := ReadStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.PPID != os.Getppid() || s.Exited() || s.StartTicks == 0 {
		t.Errorf("ReadStat(self) = %+v; ppid want %d", s, os.Getppid())
	}
	if st := StartTime(s.StartTicks); time.Since(st) < 0 || time.Since(st) > time.Hour {
		t.Errorf("StartTime = %v, not within the last hour", st)
	}
	if _, err := ReadStat(1 << 30); !IsGone(err) {
		t.Errorf("a pid that does not exist: %v, want IsGone", err)
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte(statLine))
	f.Add([]byte("1 ()) R 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseStat(b)
		if err == nil && len(s.Comm) > len(b) {
			t.Fatalf("comm %q longer than the input", s.Comm)
		}
	})
}
