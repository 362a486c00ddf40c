package node

import (
	"testing"

	"github.com/ringside/ringside/sim/simtest"
)

// TestMain lets simulated nodes' bin/ scripts run this test binary.
func TestMain(m *testing.M) { simtest.Main(m) }
