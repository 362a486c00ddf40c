// Package bulk implements CEP-1's bulk commands: POST /v1/bulkcmd/<cmd>
// with a JSON object of parameters runs one of a whitelist of node
// commands (flush, cleanup, setcompactionthroughput, …) on a chosen set
// of nodes, each through its own sidecar (fanout, /v1/peer/bulkcmd/<cmd>),
// and answers which nodes succeeded and failed, with each node's result.
// Long fan-outs can run as in-memory jobs polled at /v1/jobs/<id>.
//
// Each command is a small plug-in (a Command registered from its own
// file) that calls the same JMX attribute or operation of Cassandra 4.1's
// StorageServiceMBean that the nodetool command of that name calls
// (through Jolokia), or runs that nodetool command when the node has no
// Jolokia agent.
package bulk

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/ringside/ringside/node"
)

// storageService is org.apache.cassandra.db:type=StorageService.
const storageService = node.StorageServiceMBean

// Command is one whitelisted bulk command.
type Command struct {
	Name, Help string
	Params     []Param
	// Long marks commands that may run for minutes or hours (flush,
	// cleanup, drain): callers should run them with ?async=true (a job
	// gives each node LongTimeout); GET /v1/bulkcmd shows it.
	Long bool
	// Disruptive commands take the node out of service (drain): before
	// fanning one out, the receiving sidecar checks that the selected
	// nodes going down together leaves every keyspace available at the
	// consistency levels the operator keeps (see AvailabilityGuard).
	Disruptive bool
	// Validate, if set, checks the decoded parameters as a whole (after
	// types, ranges and defaults). It runs on the receiving sidecar before
	// anything is sent anywhere; return a *ParamError to name parameters.
	Validate func(Params) error
	// Run runs the command on one node and returns its JSON-able result.
	Run func(ctx context.Context, n Node, p Params) (any, error)
}

// JMX is the node's JMX through Jolokia (*node.Jolokia implements it;
// its method set is also settings.JMX).
type JMX interface {
	ReadAttr(ctx context.Context, mbean, attr string) (any, error)
	Write(ctx context.Context, mbean, attr string, v any) (any, error)
	Exec(ctx context.Context, mbean, op string, args ...any) (any, error)
}

// Node is the local Cassandra node as commands see it.
type Node interface {
	// JMX is the Jolokia client; nil when the node has no agent, and
	// commands then run nodetool.
	JMX() JMX
	// Nodetool runs nodetool; nil when there is none either.
	Nodetool() *node.Nodetool
	// Settings are the node's system_views.settings (name → value), for
	// getsetting and setsetting.
	Settings(ctx context.Context) (map[string]string, error)
}

// AdapterNode is the Node of a node.Adapter (its Jolokia client,
// nodetool runner and fresh system_views.settings reads).
func AdapterNode(a *node.Adapter) Node { return adapterNode{a} }

type adapterNode struct{ a *node.Adapter }

func (n adapterNode) JMX() JMX {
	// A nil *node.Jolokia in a JMX would be a non-nil interface.
	if j := n.a.Jolokia(); j != nil {
		return j
	}
	return nil
}

func (n adapterNode) Nodetool() *node.Nodetool { return n.a.Nodetool() }

func (n adapterNode) Settings(ctx context.Context) (map[string]string, error) {
	return n.a.Settings(ctx)
}

// errNoJMX: the node can be reached neither way.
var errNoJMX = errors.New("this node has neither a Jolokia agent nor nodetool configured")

// access returns how to reach the node: its JMX, else nodetool.
func access(n Node) (JMX, *node.Nodetool, error) {
	if j := n.JMX(); j != nil {
		return j, nil, nil
	}
	if nt := n.Nodetool(); nt != nil {
		return nil, nt, nil
	}
	return nil, nil, errNoJMX
}

// untimed is nodetool without its per-command timeout, for commands that
// take as long as they take (the context still bounds them): the
// adapter's timeout is meant for reads.
func untimed(nt *node.Nodetool) *node.Nodetool {
	c := *nt
	c.Timeout = 0
	return &c
}

// Registry is a set of commands by name. It is immutable.
type Registry struct {
	cmds  map[string]Command
	names []string
}

// NewRegistry makes a registry of the given commands. A malformed
// definition (no name or Run, a duplicate name, a bad parameter) is a
// programming error and panics.
func NewRegistry(cmds ...Command) *Registry {
	r := &Registry{cmds: map[string]Command{}}
	for _, c := range cmds {
		if c.Name == "" || c.Run == nil {
			panic(fmt.Sprintf("bulk: command %q without a name or Run", c.Name))
		}
		if _, dup := r.cmds[c.Name]; dup {
			panic("bulk: command " + c.Name + " registered twice")
		}
		seen := map[string]bool{}
		for _, p := range c.Params {
			if err := p.check(); err != nil {
				panic("bulk: command " + c.Name + ": " + err.Error())
			}
			if seen[p.Name] {
				panic("bulk: command " + c.Name + ": parameter " + p.Name + " twice")
			}
			seen[p.Name] = true
		}
		r.cmds[c.Name] = c
		r.names = append(r.names, c.Name)
	}
	sort.Strings(r.names)
	return r
}

// builtin are the commands the cmd_*.go files register in init.
var builtin []Command

func register(c Command) { builtin = append(builtin, c) }

var defaultRegistry = sync.OnceValue(func() *Registry { return NewRegistry(builtin...) })

// Default is the registry of the built-in commands.
func Default() *Registry { return defaultRegistry() }

// Lookup finds a command by name.
func (r *Registry) Lookup(name string) (Command, bool) {
	c, ok := r.cmds[name]
	return c, ok
}

// Names are the command names, sorted.
func (r *Registry) Names() []string { return append([]string(nil), r.names...) }

// Commands are the commands, sorted by name.
func (r *Registry) Commands() []Command {
	out := make([]Command, len(r.names))
	for i, n := range r.names {
		out[i] = r.cmds[n]
	}
	return out
}
