package results

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// HDRDir is the folder of a run folder that holds the histogram logs.
const HDRDir = "hdr"

// Operation names, as used in summary.json (ops.<name>) and in hdr/ file
// names. OpValidateService is the validate latency from each request's
// actual start (without the coordinated-omission correction).
const (
	OpValidate        = "validate"
	OpValidateService = "validate-service"
	OpLogin           = "login"
	OpRefresh         = "refresh"
	OpLogout          = "logout"
)

// Ops lists the operations of summary.json's ops object.
var Ops = []string{OpValidate, OpLogin, OpRefresh, OpLogout}

// HistogramPath is where the histogram of one run and operation lives.
func HistogramPath(dir, runID, op string) string {
	return filepath.Join(dir, HDRDir, runID+"-"+op+".hlog")
}

// WriteHistogram writes h as an HdrHistogram interval log (V2 compressed
// encoding, readable by HdrHistogram's tools in every language) with a
// single interval covering the measured period. Like summary.json, it is
// written atomically.
func WriteHistogram(path string, h *hdrhistogram.Histogram, comment string) error {
	var buf bytes.Buffer
	lw := hdrhistogram.NewHistogramLogWriter(&buf)
	err := errors.Join(
		lw.OutputComment(comment),
		lw.OutputLogFormatVersion(),
		lw.OutputStartTime(h.StartTimeMs()),
		lw.OutputLegend(),
		lw.OutputIntervalHistogram(h),
	)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return WriteFileAtomic(path, buf.Bytes())
}

// ReadHistogram reads a log written by WriteHistogram and returns all its
// intervals merged.
func ReadHistogram(path string) (*hdrhistogram.Histogram, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := hdrhistogram.NewHistogramLogReader(bufio.NewReader(f))
	var out *hdrhistogram.Histogram
	for {
		h, err := r.NextIntervalHistogram()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		if h == nil {
			break
		}
		if out == nil {
			out = h
			continue
		}
		if dropped := out.Merge(h); dropped > 0 {
			return nil, fmt.Errorf("read %s: %d values out of range", path, dropped)
		}
	}
	if out == nil {
		return nil, fmt.Errorf("read %s: no histogram in the log", path)
	}
	return out, nil
}
