package backends

import (
	"runtime"
	"strconv"
	"strings"
)

// heapSample bounds the probe map heapBytes builds.
const heapSample = 20000

// heapBytes measures what an in-process store of entries entries takes on
// the Go heap. A live store cannot be measured in place: its key strings
// are shared with the in-process clients that hold the same credentials,
// and the heap holds everything else of the run. So heapBytes builds a
// probe map of the same shape — string keys of keyLen bytes, values made by
// value — measures the heap it takes with the garbage collector's own
// accounting, and scales it to entries. The keys and values are allocated
// one by one, as a server receiving them over the network would.
//
// It stops the world twice (runtime.GC): call it only outside measurement.
func heapBytes[V any](entries int64, keyLen int, value func(i int) V) int64 {
	if entries <= 0 {
		return 0
	}
	n := int(min(entries, heapSample))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := make(map[string]V)
	pad := strings.Repeat("k", keyLen)
	for i := range n {
		k := strconv.Itoa(i)
		m[k+pad[min(len(k), keyLen):]] = value(i)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(m)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if grown <= 0 {
		return -1 // something else freed more than the probe took: no reading
	}
	return grown * entries / int64(n)
}
