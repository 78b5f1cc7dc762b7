package load

import (
	"testing"
	"time"
)

// The pacing arithmetic, checked directly (vegeta's Pacer tests are the
// model): due times from the origin, the first request due at an instant,
// and how many fall in a window.
func TestScheduleDue(t *testing.T) {
	for _, tc := range []struct {
		origin int64
		rate   float64
		n      int64
		want   int64
	}{
		{0, 1, 0, 0},
		{0, 1, 1, int64(time.Second)},
		{500, 1000, 3, 500 + 3*int64(time.Millisecond)},
		{0, 3, 1, 333333333},  // 1/3 s, truncated
		{0, 3, 3, 1000000000}, // no drift: exactly 1 s after three
		{0, 3e6, 3e6, 1e9},    // nor after three million
		{0, 50000, 49999, 999980000},
	} {
		if got := newSchedule(tc.origin, tc.rate).due(tc.n); got != tc.want {
			t.Errorf("origin %d rate %g: due(%d) = %d, want %d", tc.origin, tc.rate, tc.n, got, tc.want)
		}
	}
}

func TestScheduleFirstAndCount(t *testing.T) {
	sec := int64(time.Second)
	for _, tc := range []struct {
		name      string
		origin    int64
		rate      float64
		from, to  int64
		wantFirst int64 // first(from)
		wantCount int64 // count(from, to)
	}{
		{"before the origin", 1000, 10, 0, 1000, 0, 0},
		{"at the origin", 0, 10, 0, sec, 0, 10},
		{"window of one second", 0, 100, sec, 2 * sec, 100, 100},
		{"on a due time", 0, 10, sec / 10, sec / 5, 1, 1},
		{"just after a due time", 0, 10, sec/10 + 1, sec / 5, 2, 0},
		{"third of a second", 0, 3, 0, sec, 0, 3},
		{"empty window", 0, 10, sec, sec, 10, 0},
		{"reversed window", 0, 10, sec, 0, 10, 0},
		{"rounded interval", 7, 3, 7 + 333333333, 7 + 1000000000, 1, 2},
		{"fast", 0, 1e7, 0, sec, 0, 1e7},
	} {
		s := newSchedule(tc.origin, tc.rate)
		if got := s.first(tc.from); got != tc.wantFirst {
			t.Errorf("%s: first(%d) = %d, want %d", tc.name, tc.from, got, tc.wantFirst)
		}
		if got := s.count(tc.from, tc.to); got != tc.wantCount {
			t.Errorf("%s: count(%d, %d) = %d, want %d", tc.name, tc.from, tc.to, got, tc.wantCount)
		}
	}
}

// first must agree with due exactly, whatever the float rounding.
func TestScheduleFirstAgreesWithDue(t *testing.T) {
	for _, rate := range []float64{1, 3, 7, 1000, 50000, 1e6 / 7, 3e6} {
		s := newSchedule(12345, rate)
		for n := int64(0); n < 2000; n++ {
			d := s.due(n)
			if got := s.first(d); got != n && s.due(got) != d {
				t.Fatalf("rate %g: first(due(%d)=%d) = %d", rate, n, d, got)
			}
			if got := s.first(d + 1); s.due(got) <= d || (got > 0 && s.due(got-1) > d) {
				t.Fatalf("rate %g: first(%d) = %d, due %d", rate, d+1, got, s.due(got))
			}
		}
	}
}
