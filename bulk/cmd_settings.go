package bulk

import (
	"context"
	"errors"
	"fmt"

	"github.com/ringside/ringside/settings"
)

// getsetting and setsetting are the settings API (package settings:
// system_views.settings to read, the JMX attribute or operation of each
// hot setting to write) as bulk commands, for changing a setting on many
// nodes at once. The per-node value is what settings.Get and settings.Set
// answer: the runtime values keyed as asked.
func init() {
	register(Command{
		Name: "getsetting",
		Help: "Read runtime settings (system_views.settings), keyed as cassandra.yaml names them.",
		Params: []Param{{
			Name: "keys", Type: TypeStrings,
			Help: "settings to read, 4.1 or pre-4.1 names; absent: all of them",
		}},
		Validate: func(p Params) error {
			keys := p.Strings("keys")
			if len(keys) == 0 {
				return nil
			}
			// Without a node to read, settings.Get checks the keys against
			// the 4.1 names alone, and reads nothing: what a typo needs.
			_, err := settings.Get(context.Background(), noNode{}, keys)
			return inputProblems("keys", err)
		},
		Run: func(ctx context.Context, n Node, p Params) (any, error) {
			return settings.Get(ctx, settingsLocal{n}, p.Strings("keys"))
		},
	})
	register(Command{
		Name: "setsetting",
		Help: "Change runtime settings through JMX, as PUT /v1/settings does: the running node only, " +
			"cassandra.yaml is not rewritten. Needs Jolokia.",
		Params: []Param{{
			Name: "settings", Type: TypeObject, Required: true,
			Help: `cassandra.yaml keys and values, e.g. {"compaction_throughput": "12MiB/s"}; checked as a whole before any node is touched`,
		}},
		Validate: func(p Params) error {
			return inputProblems("settings", settings.Validate(p.Object("settings")))
		},
		Run: func(ctx context.Context, n Node, p Params) (any, error) {
			return settings.Set(ctx, settingsLocal{n}, p.Object("settings"))
		},
	})
}

// settingsLocal is a Node as settings.Local.
type settingsLocal struct{ n Node }

func (l settingsLocal) Settings(ctx context.Context) (map[string]string, error) {
	return l.n.Settings(ctx)
}

func (l settingsLocal) JMX() settings.JMX {
	if j := l.n.JMX(); j != nil {
		return j
	}
	return nil
}

// noNode is a settings.Local without a node, to check keys only.
type noNode struct{}

var errNoNode = errors.New("no node")

func (noNode) Settings(context.Context) (map[string]string, error) { return nil, errNoNode }
func (noNode) JMX() settings.JMX                                   { return nil }

// inputProblems turns a *settings.InputError into a ParamError naming
// param.key for each bad key; other errors (errNoNode: the keys are fine)
// are no problem.
func inputProblems(param string, err error) error {
	var ie *settings.InputError
	if !errors.As(err, &ie) {
		return nil
	}
	pe := &ParamError{Problems: map[string]string{}}
	for k, why := range ie.Problems {
		name := param
		if k != "" {
			name = fmt.Sprintf("%s.%s", param, k)
		}
		if len(pe.Problems) < maxProblems {
			pe.Problems[clip(name)] = why
		}
	}
	return pe
}
