package load

import "math"

// schedule paces requests at a constant rate from an origin: request n is
// due at origin + n/rate, never at "the previous one + 1/rate", so a late
// wake-up never shifts the requests after it (vegeta's and wrk2's rule).
// Times are nanoseconds on the run's clock.
type schedule struct {
	origin   int64
	interval float64 // ns between two requests
}

func newSchedule(origin int64, rate float64) schedule {
	return schedule{origin: origin, interval: 1e9 / rate}
}

// due is when request n (from 0) is due.
func (s schedule) due(n int64) int64 {
	return s.origin + int64(float64(n)*s.interval)
}

// first is the first request due at or after t.
func (s schedule) first(t int64) int64 {
	if t <= s.origin {
		return 0
	}
	n := int64(math.Ceil(float64(t-s.origin) / s.interval))
	// Correct the float rounding so that due agrees exactly.
	for n > 0 && s.due(n-1) >= t {
		n--
	}
	for s.due(n) < t {
		n++
	}
	return n
}

// count is how many requests are due in [from, to).
func (s schedule) count(from, to int64) int64 {
	if to <= from {
		return 0
	}
	return s.first(to) - s.first(from)
}
