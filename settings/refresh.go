package settings

import (
	"context"
	"errors"
	"sort"

	"github.com/ringside/ringside/health"
)

// ConfigLocal is a Local that can also read the node's cassandra.yaml and
// tell its release (for the defaults of keys the file leaves unset).
type ConfigLocal interface {
	Local
	ConfigFile() ([]byte, error)
	ReleaseVersion() string
}

// Refreshed is what a refresh did (CEP-1 §2's deferred "refresh": the
// source of truth stays with configuration management).
type Refreshed struct {
	// Applied are the hot-settable keys that differed, set at runtime to
	// what cassandra.yaml says (or the release's default where the file
	// leaves them unset): key → the runtime value read back.
	Applied map[string]any `json:"applied"`
	// NeedsRestart differ too but cannot change at runtime.
	NeedsRestart []health.Difference `json:"needs_restart"`
	// NotApplied differ and are hot-settable, but the file's value is not
	// one the setter takes (key → why).
	NotApplied map[string]string `json:"not_applied,omitempty"`
	// Unknown are cassandra.yaml keys system_views.settings does not know.
	Unknown []string `json:"unknown"`
	// Compared counts the keys compared; InSync those that already agreed.
	Compared int `json:"compared"`
	InSync   int `json:"in_sync"`
	// CassandraYAML: it is read, never written.
	CassandraYAML string `json:"cassandra_yaml"`
}

// RefreshNote accompanies every refresh answer.
const RefreshNote = "read, not written: the runtime now follows it for the keys under applied"

// ErrNoConfigFile: this Local cannot read cassandra.yaml.
var ErrNoConfigFile = errors.New("this sidecar cannot read cassandra.yaml (cassandra.config_file)")

// Refresh compares cassandra.yaml with the running settings (the
// config_sync comparison of the replica health check, health.Compare…)
// and sets every differing hot-settable key at runtime, through the same
// path as PUT. Nothing is written to cassandra.yaml.
func Refresh(ctx context.Context, l Local) (*Refreshed, error) {
	cl, ok := l.(ConfigLocal)
	if !ok {
		return nil, ErrNoConfigFile
	}
	b, err := cl.ConfigFile()
	if err != nil {
		return nil, &InputError{Problems: map[string]string{"cassandra.yaml": err.Error()}}
	}
	running, err := l.Settings(ctx)
	if err != nil {
		return nil, err
	}
	sync := health.CompareConfigVersion(b, running, cl.ReleaseVersion())
	if sync.Status == health.SyncUnknown {
		return nil, &InputError{Problems: map[string]string{"cassandra.yaml": sync.Error}}
	}
	out := &Refreshed{Applied: map[string]any{}, NeedsRestart: []health.Difference{}, Unknown: sync.Unknown,
		Compared: sync.Compared, CassandraYAML: RefreshNote}
	if out.Unknown == nil {
		out.Unknown = []string{}
	}
	out.InSync = sync.Compared
	changes := map[string]any{}
	for _, d := range sync.Differences {
		if d.Default == "" {
			out.InSync--
		}
		if _, settable := byName[d.Key]; !settable {
			out.NeedsRestart = append(out.NeedsRestart, d)
			continue
		}
		want := d.OnDisk
		if d.Default != "" {
			want = d.Default
		}
		v := typed(d.Key, want)
		if err := Validate(map[string]any{d.Key: v}); err != nil {
			if out.NotApplied == nil {
				out.NotApplied = map[string]string{}
			}
			var ie *InputError
			if errors.As(err, &ie) {
				for _, why := range ie.Problems {
					out.NotApplied[d.Key] = why
				}
			} else {
				out.NotApplied[d.Key] = err.Error()
			}
			continue
		}
		changes[d.Key] = v
	}
	sort.Slice(out.NeedsRestart, func(i, j int) bool { return out.NeedsRestart[i].Key < out.NeedsRestart[j].Key })
	if len(changes) == 0 {
		return out, nil
	}
	applied, err := Set(ctx, l, changes)
	if err != nil {
		return nil, err
	}
	out.Applied = applied
	return out, nil
}
