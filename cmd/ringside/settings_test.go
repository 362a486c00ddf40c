package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ringside/ringside/fanout"
	"github.com/ringside/ringside/settings"
)

// fakeSettingsNode is a node's system_views.settings, as settings.Local.
type fakeSettingsNode struct {
	rows map[string]string
	err  error
}

func (n fakeSettingsNode) Settings(context.Context) (map[string]string, error) { return n.rows, n.err }
func (n fakeSettingsNode) JMX() settings.JMX                                   { return nil }

type fakeCluster struct{ targets []fanout.Target }

func (c fakeCluster) Targets() []fanout.Target { return c.targets }
func (c fakeCluster) Fanout() *fanout.Client   { return &fanout.Client{} }

// settingsCluster serves the real settings.Handler for three nodes: the
// first answers the public endpoint and fans out to the others; the third
// cannot read its settings.
func settingsCluster(t *testing.T) string {
	t.Helper()
	rows := func(tp string) map[string]string {
		return map[string]string{"compaction_throughput": tp, "concurrent_compactors": "2", "hinted_handoff_enabled": "true"}
	}
	nodes := []fakeSettingsNode{{rows: rows("64MiB/s")}, {rows: rows("16MiB/s")}, {err: errors.New("connection refused")}}
	var urls []string
	var h1 *clusterHandler
	for i, n := range nodes {
		var c fanout.Cluster
		if i == 0 {
			h1 = &clusterHandler{}
			c = h1
		}
		srv := httptest.NewServer(settings.Handler(n, c, nil))
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL)
	}
	h1.targets = []fanout.Target{
		{HostID: "h1", Address: "127.0.0.1", Endpoint: "127.0.0.1:7000", DC: "dc1", Rack: "rack1", URL: urls[0], Self: true},
		{HostID: "h2", Address: "127.0.0.2", Endpoint: "127.0.0.2:7000", DC: "dc1", Rack: "rack2", URL: urls[1]},
		{HostID: "h3", Address: "127.0.0.3", Endpoint: "127.0.0.3:7000", DC: "dc2", Rack: "rack1", URL: urls[2]},
	}
	return urls[0]
}

type clusterHandler struct{ fakeCluster }

func runSettingsT(t *testing.T, args ...string) (stdout, stderr string, code int, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = runSettings(args, &o, &e)
	return o.String(), e.String(), exitCodeOf(err), err
}

func TestSettingsGetLocal(t *testing.T) {
	u := settingsCluster(t)
	out, _, code, err := runSettingsT(t, "get", "concurrent_compactors", "compaction_throughput", "--url", u)
	want := "KEY                    VALUE\n" +
		"concurrent_compactors  2\n" +
		"compaction_throughput  64MiB/s\n"
	if code != 0 || out != want {
		t.Errorf("exit %d (%v):\n%s\nwant:\n%s", code, err, out, want)
	}
	// Every row, sorted.
	out, _, code, _ = runSettingsT(t, "--url", u, "get")
	if code != 0 || !inOrder(out, "KEY", "compaction_throughput   64MiB/s", "concurrent_compactors   2", "hinted_handoff_enabled  true") {
		t.Errorf("all settings: exit %d:\n%s", code, out)
	}
	out, _, code, _ = runSettingsT(t, "get", "compaction_throughput", "--url", u, "--json")
	if code != 0 || strings.TrimSpace(out) != "{\n  \"runtime\": {\n    \"compaction_throughput\": \"64MiB/s\"\n  }\n}" {
		t.Errorf("--json: exit %d:\n%s", code, out)
	}
	// A key no Cassandra has: the sidecar's 400.
	_, _, code, err = runSettingsT(t, "get", "compaction_thruput", "--url", u)
	if code != 1 || !strings.Contains(err.Error(), "the sidecar refused to read the settings:") || !strings.Contains(err.Error(), "compaction_thruput") {
		t.Errorf("unknown key: exit %d (%v)", code, err)
	}
}

func TestSettingsGetCluster(t *testing.T) {
	u := settingsCluster(t)
	out, _, code, err := runSettingsT(t, "get", "compaction_throughput", "concurrent_compactors", "--scope", "cluster", "--url", u)
	want := "NODE            DC   RACK   compaction_throughput  concurrent_compactors\n" +
		"127.0.0.1:7000  dc1  rack1  64MiB/s                2\n" +
		"127.0.0.2:7000  dc1  rack2  16MiB/s                2\n" +
		"\n" +
		"failed on 1 of 3 nodes:\n" +
		"NODE            DC   RACK   ERROR\n" +
		"127.0.0.3:7000  dc2  rack1  HTTP 502: reading system_views.settings: connection refused\n"
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	if code != 1 || err.Error() != "1 of 3 nodes failed (2 answered)" {
		t.Errorf("exit %d (%v); want 1", code, err)
	}

	// Every key: a block per node.
	out, _, _, _ = runSettingsT(t, "get", "--dc", "dc1", "--url", u)
	if !inOrder(out, "== 127.0.0.1:7000  dc1/rack1\n", "KEY", "compaction_throughput   64MiB/s", "hinted_handoff_enabled  true",
		"\n\n== 127.0.0.2:7000  dc1/rack2\n", "compaction_throughput   16MiB/s") || strings.Contains(out, "127.0.0.3") {
		t.Errorf("per-node blocks:\n%s", out)
	}

	out, _, code, _ = runSettingsT(t, "get", "compaction_throughput", "--rack", "dc1:rack2", "--url", u, "--json")
	var v struct {
		Nodes   []map[string]any `json:"nodes"`
		Success []string         `json:"success"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || len(v.Nodes) != 1 || v.Success[0] != "127.0.0.2:7000" {
		t.Errorf("--json: exit %d:\n%s", code, out)
	}
	// A selector naming nothing: the sidecar's 400.
	_, _, code, err = runSettingsT(t, "get", "--dc", "dc9", "--url", u)
	if code != 1 || !strings.Contains(err.Error(), `no datacenter "dc9"`) {
		t.Errorf("dc9: exit %d (%v)", code, err)
	}
}

func TestSettingsSet(t *testing.T) {
	f := newFakeAPI()
	res := func(ep, dc string, ok bool, v string, e string) map[string]any {
		// settings/http.go's nodeResult: fanout.Result with value as runtime.
		r := fanout.Result{Target: fanout.Target{HostID: "id-" + ep, Address: ep, Endpoint: ep + ":7000", DC: dc, Rack: "r1"}, Success: ok, Error: e, Seconds: 0.02}
		b, _ := json.Marshal(r)
		var m map[string]any
		json.Unmarshal(b, &m)
		if ok {
			m["http_status"] = 200
			m["runtime"] = json.RawMessage(v)
		} else {
			m["http_status"] = 502
		}
		return m
	}
	f.reply("PUT "+settings.Path, 200, map[string]any{
		"nodes": []any{
			res("127.0.0.1", "dc1", true, `{"compaction_throughput":"64MiB/s","hinted_handoff_enabled":false,"concurrent_compactors":4}`, ""),
			res("127.0.0.2", "dc1", true, `{"compaction_throughput":"64MiB/s","hinted_handoff_enabled":false,"concurrent_compactors":4}`, ""),
		},
		"success": []string{"127.0.0.1:7000", "127.0.0.2:7000"}, "failure": []string{},
	})
	u := f.start(t)
	out, errOut, code, err := runSettingsT(t, "set", "compaction_throughput=64MiB/s", "hinted_handoff_enabled=false", "concurrent_compactors=4", "--dc", "dc1", "--url", u)
	if code != 0 {
		t.Fatalf("exit %d (%v): %s", code, err, errOut)
	}
	r := f.requests()[0]
	if r.method != "PUT" || r.body != `{"compaction_throughput":"64MiB/s","hinted_handoff_enabled":false,"concurrent_compactors":4}` ||
		r.query["dc"][0] != "dc1" || len(r.query) != 1 || r.auth != "" {
		t.Errorf("request %+v", r)
	}
	want := "NODE            DC   RACK  compaction_throughput  hinted_handoff_enabled  concurrent_compactors\n" +
		"127.0.0.1:7000  dc1  r1    64MiB/s                false                   4\n" +
		"127.0.0.2:7000  dc1  r1    64MiB/s                false                   4\n"
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}

	// Local: the runtime values after the change.
	f.reply("PUT "+settings.Path, 200, map[string]any{"runtime": map[string]any{"compaction_throughput_mb_per_sec": 12}})
	out, _, code, _ = runSettingsT(t, "set", "compaction_throughput_mb_per_sec=12", "--url", u, "--scope", "local")
	if code != 0 || out != "KEY                               VALUE\ncompaction_throughput_mb_per_sec  12\n" {
		t.Errorf("local set: exit %d:\n%s", code, out)
	}
	if r := f.requests()[1]; r.body != `{"compaction_throughput_mb_per_sec":12}` || r.uri != settings.Path+"?scope=local" {
		t.Errorf("request %+v", r)
	}

	// The node failed to apply (502 with ApplyError's fields).
	f.reply("PUT "+settings.Path, 502, map[string]any{"error": "the node failed to apply compaction_throughput: JMX unreachable; nothing was applied", "applied": []string{}})
	_, _, code, err = runSettingsT(t, "set", "compaction_throughput=1MiB/s", "--url", u)
	if code != 1 || !strings.Contains(err.Error(), "could not change the settings (HTTP 502): the node failed to apply compaction_throughput: JMX unreachable") {
		t.Errorf("502: exit %d (%v)", code, err)
	}
}

// TestSettingsSetRefused: the real handler's 400 for bad keys and values,
// shown as a table; nothing is sent to any node.
func TestSettingsSetRefused(t *testing.T) {
	u := settingsCluster(t)
	out, _, code, err := runSettingsT(t, "set", "compaction_throughput=fast", "compaction_thruput=1", "concurrent_compactors=2", "--scope", "cluster", "--url", u)
	if code != 1 || out != "" {
		t.Fatalf("exit %d (%v), stdout %q", code, err, out)
	}
	msg := err.Error()
	lines := strings.Split(msg, "\n")
	if lines[0] != "the sidecar refused to change the settings; nothing was changed:" || len(lines) != 3 ||
		!strings.HasPrefix(lines[1], "  compaction_throughput  \"fast\" is not a rate") || !strings.HasPrefix(lines[2], "  compaction_thruput     unknown key") {
		t.Errorf("problems table:\n%s", msg)
	}
	out, _, code, _ = runSettingsT(t, "set", "compaction_throughput=fast", "--url", u, "--json")
	if code != 1 || !strings.Contains(out, `"problems": {`) {
		t.Errorf("--json refusal: exit %d\n%s", code, out)
	}
}

func TestSettingsUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"put"},
		{"set"},
		{"set", "compaction_throughput"},
		{"set", "=1"},
		{"set", "a=1", "a=2"},
		{"get", "a=1"},
		{"get", "--scope", "dc"},
		{"get", "--scope", "local", "--dc", "dc1"},
		{"get", "--dc", ""},
		{"get", "--token", "a", "--token-file", "b"},
		{"get", "--url", "ftp://x"},
		{"get", "--nope"},
	} {
		_, errOut, code, _ := runSettingsT(t, args...)
		if code != 2 || !strings.Contains(errOut, "Usage: ringside settings") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and the usage", args, code, errOut)
		}
	}
	if _, errOut, code, _ := runSettingsT(t, "-h"); code != 0 || !strings.Contains(errOut, "--scope") || !strings.Contains(errOut, "--token-file") {
		t.Errorf("-h: exit %d, %q", code, errOut)
	}
}

func TestSettingValue(t *testing.T) {
	for in, want := range map[string]string{
		"64MiB/s":   `"64MiB/s"`,
		"12":        `12`,
		"-1":        `-1`,
		"1.5":       `1.5`,
		" 7 ":       `7`,
		"true":      `true`,
		"false":     `false`,
		"True":      `"True"`,
		"":          `""`,
		"1h":        `"1h"`,
		"0x10":      `"0x10"`,
		"null":      `"null"`,
		`"12"`:      `"12"`,
		`{"a":1}`:   `{"a":1}`,
		`[1,2]`:     `[1,2]`,
		"{not json": `"{not json"`,
		"1e400":     `"1e400"`,
	} {
		if got := string(settingValue(in)); got != want {
			t.Errorf("settingValue(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestSettingsRefreshCLI(t *testing.T) {
	f := newFakeAPI()
	local := map[string]any{
		"applied":       map[string]any{"compaction_throughput": "32MiB/s"},
		"needs_restart": []any{map[string]any{"key": "num_tokens", "on_disk": "7", "running": "16"}},
		"unknown":       []string{}, "compared": 42, "in_sync": 40, "cassandra_yaml": settings.RefreshNote,
	}
	f.reply("POST "+settings.Path, 200, local)
	u := f.start(t)
	out, errOut, code, err := runSettingsT(t, "refresh", "--url", u)
	if code != 0 {
		t.Fatalf("exit %d (%v): %s", code, err, errOut)
	}
	if r := f.requests()[0]; r.method != "POST" || r.query["refresh"][0] != "true" || r.body != "" {
		t.Errorf("request %+v", r)
	}
	want := "KEY                    ACTION         VALUE\n" +
		"compaction_throughput  applied        32MiB/s\n" +
		"num_tokens             needs restart  7, running 16\n" +
		"40 key(s) already as cassandra.yaml says; the file was not written\n"
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	// Fanned out, one node failed: exit 1, both shown.
	node := func(ep string, ok bool, rt any) map[string]any {
		m := map[string]any{"host_id": "id-" + ep, "address": ep, "endpoint": ep + ":7000", "datacenter": "dc1", "rack": "r1", "success": ok}
		if ok {
			m["http_status"], m["runtime"] = 200, rt
		} else {
			m["http_status"], m["error"] = 502, "cassandra.yaml: permission denied"
		}
		return m
	}
	f.reply("POST "+settings.Path, 200, map[string]any{"nodes": []any{node("127.0.0.1", true, local), node("127.0.0.2", false, nil)},
		"success": []string{"127.0.0.1:7000"}, "failure": []string{"127.0.0.2:7000"}})
	out, _, code, err = runSettingsT(t, "refresh", "--scope", "cluster", "--url", u)
	if code != 1 || !strings.Contains(err.Error(), "1 of 2 nodes failed") ||
		!strings.Contains(out, "127.0.0.1:7000  dc1  r1    compaction_throughput  applied") ||
		!strings.Contains(out, "127.0.0.2:7000  dc1  r1    HTTP 502: cassandra.yaml: permission denied") {
		t.Errorf("fan-out: exit %d (%v):\n%s", code, err, out)
	}
	if _, errOut, code, _ := runSettingsT(t, "refresh", "now", "--url", u); code != 2 || !strings.Contains(errOut, "refresh takes no arguments") {
		t.Errorf("stray argument: exit %d: %s", code, errOut)
	}
}
