//go:build !unix

package httpdrive

import "time"

// cpuTime is unknown on this system: CPU per request is reported as 0.
func cpuTime() time.Duration { return 0 }
