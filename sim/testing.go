package sim

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"
)

// TestConfig returns a configuration for tests: the given topology
// ("dc1:3x1,dc2:3x1"), on a loopback block no other running simulator
// uses, short timings, and no on-disk state unless dir is set. Parallel
// test packages each get their own block, so they never collide.
func TestConfig(topology, dir string) (Config, error) {
	cfg := DefaultConfig()
	dcs, err := ParseTopology(topology)
	if err != nil {
		return cfg, err
	}
	cfg.DCs = dcs
	cfg.Dir = dir
	// A silent node is convicted after about 0.3 s (18.4 rounds of 15 ms).
	cfg.GossipInterval = 15 * time.Millisecond
	cfg.StartTime = 200 * time.Millisecond
	cfg.StartJitter = 50 * time.Millisecond
	cfg.DrainTime = 50 * time.Millisecond
	cfg.RequestTimeout = 500 * time.Millisecond
	cfg.HintsDispatchInterval = 100 * time.Millisecond
	base, ctl, err := FreeAddressBase(cfg)
	if err != nil {
		return cfg, err
	}
	cfg.AddressBase = base
	cfg.ControlAddr = ctl
	return cfg, cfg.Validate()
}

// FreeAddressBase picks a random 127.X.Y.1 block where every node address
// of cfg can bind its ports, and a free control address inside it.
func FreeAddressBase(cfg Config) (base, control string, err error) {
	for attempt := 0; attempt < 50; attempt++ {
		b := netip.AddrFrom4([4]byte{127, byte(20 + rand.IntN(230)), byte(1 + rand.IntN(200)), 1})
		c := cfg
		c.AddressBase = b.String()
		specs, err := c.layout()
		if err != nil {
			continue
		}
		ok := true
		var held []net.Listener
		for _, s := range specs {
			for _, p := range []int{c.NativePort, c.JolokiaPort} {
				l, err := net.Listen("tcp", netip.AddrPortFrom(s.Addr, uint16(p)).String())
				if err != nil {
					ok = false
					break
				}
				held = append(held, l)
			}
			if !ok {
				break
			}
		}
		ctlAddr := ""
		if ok {
			// The control API takes an ephemeral port on the block's .254 address.
			ca := netip.AddrFrom4([4]byte{127, b.As4()[1], 255, 254})
			l, err := net.Listen("tcp", netip.AddrPortFrom(ca, 0).String())
			if err == nil {
				ctlAddr = l.Addr().String()
				held = append(held, l)
			} else {
				ok = false
			}
		}
		for _, l := range held {
			l.Close()
		}
		if ok {
			return b.String(), ctlAddr, nil
		}
	}
	return "", "", fmt.Errorf("no free loopback address block found")
}
