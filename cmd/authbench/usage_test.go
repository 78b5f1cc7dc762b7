package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// `authbench help` documents every exit status the commands return.
func TestUsageListsEveryExitStatus(t *testing.T) {
	var b bytes.Buffer
	usage(&b)
	text := strings.Join(strings.Fields(b.String()), " ")
	for _, code := range []int{exitOK, exitFailure, exitUsage, exitDegraded, exitIncomplete, exitRequire, exitInterrupted} {
		if !strings.Contains(text, fmt.Sprintf(" %d ", code)) && !strings.Contains(text, fmt.Sprintf(";%d ", code)) {
			t.Errorf("authbench help does not document exit status %d:\n%s", code, b.String())
		}
	}
}
