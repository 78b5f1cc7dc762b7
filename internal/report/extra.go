package report

import (
	"fmt"
	"strings"
)

// planShape says what was run: the grid as backends × points × repeats,
// then each extra point (scenario extra:) with its own backends and
// repeats, so that the numbers add up to the runs of the summary.
func (v *view) planShape() string {
	count := func(pts []string) (backends, repeats, runs int) {
		seen := map[string]bool{}
		for _, pt := range pts {
			for b, rs := range v.runs[pt] {
				seen[b] = true
				runs += len(rs)
				for _, r := range rs {
					repeats = max(repeats, r.Repeat)
				}
			}
		}
		return len(seen), repeats, runs
	}
	grid := v.gridPoints()
	nb, nr, runs := count(grid)
	out := fmt.Sprintf("%d backends × %d parameter points × %d repeats = %d runs", nb, len(grid), nr, runs)
	var extras []string
	for _, pt := range v.points {
		if v.extra[pt] {
			b, r, n := count([]string{pt})
			extras = append(extras, fmt.Sprintf("%s (%d backends × %d repeats = %d runs)", pt, b, r, n))
		}
	}
	if len(extras) > 0 {
		out += fmt.Sprintf(", plus %d extra points outside the sweep: %s; %d runs in all", len(extras), strings.Join(extras, ", "), len(v.s.Runs))
	}
	return out
}
