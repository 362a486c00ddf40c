package settings

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// fakeLocal is a node without Cassandra: rows for system_views.settings
// (from the 4.1.6 capture unless set), a recording JMX.
type fakeLocal struct {
	mu          sync.Mutex
	rows        map[string]string
	settingsErr error
	jmx         *fakeJMX // nil: no Jolokia
}

func newFakeLocal() *fakeLocal {
	rows := map[string]string{}
	for k, v := range known {
		if v != "null" {
			rows[k] = v
		}
	}
	return &fakeLocal{rows: rows, jmx: &fakeJMX{fail: map[string]error{}}}
}

func (f *fakeLocal) Settings(context.Context) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.settingsErr != nil {
		return nil, f.settingsErr
	}
	out := make(map[string]string, len(f.rows))
	for k, v := range f.rows {
		out[k] = v
	}
	return out, nil
}

func (f *fakeLocal) JMX() JMX {
	if f.jmx == nil {
		return nil
	}
	return f.jmx
}

// fakeJMX records writes and execs; fail makes an attribute or operation fail.
type fakeJMX struct {
	mu    sync.Mutex
	calls []string
	fail  map[string]error
}

func (j *fakeJMX) Write(_ context.Context, mbean, attr string, v any) (any, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.fail[attr]; err != nil {
		return nil, err
	}
	j.calls = append(j.calls, fmt.Sprintf("write %s %s=%v", mbean, attr, v))
	return nil, nil
}

func (j *fakeJMX) Exec(_ context.Context, mbean, op string, args ...any) (any, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.fail[op]; err != nil {
		return nil, err
	}
	j.calls = append(j.calls, fmt.Sprintf("exec %s %s%v", mbean, op, args))
	return nil, nil
}

func (j *fakeJMX) ReadAttr(context.Context, string, string) (any, error) {
	return nil, errors.New("fakeJMX: no reads")
}

func (j *fakeJMX) recorded() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.calls...)
}
