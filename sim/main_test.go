package sim_test

import (
	"testing"

	"github.com/ringside/ringside/sim/simtest"
)

// TestMain lets the node directories' bin/ scripts run this test binary.
func TestMain(m *testing.M) { simtest.Main(m) }
