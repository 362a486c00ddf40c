package settings

import (
	"testing"

	"github.com/ringside/ringside/sim/simtest"
)

// TestMain lets simulated nodes' bin/nodetool run this test binary.
func TestMain(m *testing.M) { simtest.Main(m) }
