package load

import "runtime"

func testingCPU() int { return runtime.GOMAXPROCS(0) }
