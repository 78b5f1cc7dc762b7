package scenarios

import "time"

// DefaultMaxErrorShare is the share of an operation's requests that may
// fail before a run needs the user's attention (exit status 3): 0.1 %.
const DefaultMaxErrorShare = 0.001

// Require is the `require:` section: what a strategy must achieve for the
// report to say it fits. A limit left out does not apply. `authbench run`
// exits with status 4 when a backend listed under backends misses one, or
// when no backend meets them all (k6's thresholds work the same way).
type Require struct {
	// Backends must each meet every requirement; empty: at least one
	// backend of the run must.
	Backends []string `yaml:"backends"`
	// ValidateP99 is the highest validate p99 (0: no limit).
	ValidateP99 time.Duration `yaml:"validate_p99"`
	// Throughput is the lowest validations per second (0: no limit).
	Throughput float64 `yaml:"throughput"`
	// ExposureP99 is the longest exposure p99 of a revoked credential.
	ExposureP99 *time.Duration `yaml:"exposure_p99"`
	// FalseAccepts is the most false accepts (revoked, expired or forged
	// credentials accepted) over all repeats; write 0 to allow none.
	FalseAccepts *int64 `yaml:"false_accepts"`
	// ErrorShare is the highest share of validations that may fail.
	ErrorShare *float64 `yaml:"error_share"`
	// StoreRoundTrips is the most store round trips per validation, as
	// counted during the run.
	StoreRoundTrips *float64 `yaml:"store_round_trips"`
	// TokenBytes is the largest credential a client sends (0: no limit).
	TokenBytes int `yaml:"token_bytes"`
	// CPUMicros is the most CPU µs per validation, authbench's process and
	// redis-server together (0: no limit).
	CPUMicros float64 `yaml:"cpu_us"`
}

// Any reports whether the section sets a requirement.
func (r *Require) Any() bool {
	return len(r.Backends) > 0 || r.ValidateP99 > 0 || r.Throughput > 0 || r.ExposureP99 != nil ||
		r.FalseAccepts != nil || r.ErrorShare != nil || r.StoreRoundTrips != nil || r.TokenBytes > 0 || r.CPUMicros > 0
}

// checkRequire validates max_error_share and the require section.
func (s *Scenario) checkRequire() error {
	r := &s.Require
	bad := func(path, format string, args ...any) error {
		return s.blame(path).errorf("%s: "+format, append([]any{path}, args...)...)
	}
	if s.MaxErrorShare < 0 || s.MaxErrorShare > 1 {
		return bad("max_error_share", "must be within 0..1 (a share of requests), got %s", fmtNum(s.MaxErrorShare))
	}
	for _, b := range r.Backends {
		found := false
		for _, have := range s.Backends {
			found = found || have == b
		}
		if !found {
			return bad("require.backends", "%s is not among the scenario's backends", quoteClip(b))
		}
	}
	switch {
	case r.ValidateP99 < 0:
		return bad("require.validate_p99", "must not be negative, got %s", fmtDur(r.ValidateP99))
	case r.Throughput < 0:
		return bad("require.throughput", "must not be negative, got %s", fmtNum(r.Throughput))
	case r.ExposureP99 != nil && *r.ExposureP99 < 0:
		return bad("require.exposure_p99", "must not be negative, got %s", fmtDur(*r.ExposureP99))
	case r.FalseAccepts != nil && *r.FalseAccepts < 0:
		return bad("require.false_accepts", "must not be negative, got %d", *r.FalseAccepts)
	case r.ErrorShare != nil && (*r.ErrorShare < 0 || *r.ErrorShare > 1):
		return bad("require.error_share", "must be within 0..1, got %s", fmtNum(*r.ErrorShare))
	case r.StoreRoundTrips != nil && *r.StoreRoundTrips < 0:
		return bad("require.store_round_trips", "must not be negative, got %s", fmtNum(*r.StoreRoundTrips))
	case r.TokenBytes < 0:
		return bad("require.token_bytes", "must not be negative, got %d", r.TokenBytes)
	case r.CPUMicros < 0:
		return bad("require.cpu_us", "must not be negative, got %s", fmtNum(r.CPUMicros))
	}
	return nil
}
