package demo

import (
	"errors"
	"fmt"
	"net"
	"sync"
)

// listenLocal opens port on 127.0.0.1 and, where the host has IPv6
// loopback, on [::1] too: curl tries both for "localhost".
func listenLocal(port int) ([]net.Listener, error) {
	v4, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, fmt.Errorf("localhost:%d: %w (another ringside demo running? --localhost=false or --port picks another)", port, err)
	}
	lns := []net.Listener{v4}
	if v6, err := net.Listen("tcp", fmt.Sprintf("[::1]:%d", port)); err == nil {
		lns = append(lns, v6)
	}
	return lns, nil
}

// multiListener accepts from several listeners as one, so that one
// http.Server serves a sidecar on its node address and on localhost.
type multiListener struct {
	lns    []net.Listener
	conns  chan net.Conn
	errs   chan error
	closed chan struct{}
	once   sync.Once
}

func newMultiListener(lns ...net.Listener) net.Listener {
	if len(lns) == 1 {
		return lns[0]
	}
	m := &multiListener{lns: lns, conns: make(chan net.Conn), errs: make(chan error, len(lns)), closed: make(chan struct{})}
	for _, ln := range lns {
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					// http.Server retries temporary errors (EMFILE) itself.
					select {
					case m.errs <- err:
					case <-m.closed:
						return
					}
					if errors.Is(err, net.ErrClosed) {
						return
					}
					continue
				}
				select {
				case m.conns <- c:
				case <-m.closed:
					c.Close()
					return
				}
			}
		}()
	}
	return m
}

func (m *multiListener) Accept() (net.Conn, error) {
	select {
	case c := <-m.conns:
		return c, nil
	case err := <-m.errs:
		return nil, err
	case <-m.closed:
		return nil, net.ErrClosed
	}
}

func (m *multiListener) Close() error {
	var errs []error
	m.once.Do(func() {
		close(m.closed)
		for _, ln := range m.lns {
			errs = append(errs, ln.Close())
		}
	})
	return errors.Join(errs...)
}

// Addr is the node address, the one the sidecar logs and peers use.
func (m *multiListener) Addr() net.Addr { return m.lns[0].Addr() }
