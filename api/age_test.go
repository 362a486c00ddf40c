package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestFindTopLevelNumber(t *testing.T) {
	for _, tc := range []struct {
		body, want string
	}{
		{`{"as_of":"x","data_age_seconds":0.004,"z":1}`, "0.004"},
		{`{"nodes":[{"data_age_seconds":9}],"data_age_seconds":12.5}`, "12.5"},
		{`{ "data_age_seconds" : 3 }`, "3"},
		{`{"data_age_seconds":null}`, ""},
		{`{"nested":{"data_age_seconds":1}}`, ""},
		{`[1,2]`, ""},
		{`not json`, ""},
		{``, ""},
	} {
		at, n := findTopLevelNumber([]byte(tc.body), "data_age_seconds")
		if got := tc.body[at : at+n]; got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.body, got, tc.want)
		}
	}
}

// The age in the body is the data's age when served, not when the report
// was computed: two calls a while apart give two ages that differ by the
// time between them.
func TestDataAgeGrowsBetweenRefreshes(t *testing.T) {
	src := &staticSource{}
	asOf := time.Now().Add(-1500 * time.Millisecond)
	body := []byte(`{"as_of":"` + asOf.UTC().Format(time.RFC3339Nano) + `","data_age_seconds":0.001,"datacenter":"dc1","nodes":[{"data_age_seconds":7}]}`)
	src.set("coordinator", NewReport(body, true, asOf))
	srv := httptest.NewServer(New(src, Options{Metrics: NewMetrics()}))
	defer srv.Close()
	get := func() (float64, map[string]any) {
		resp, err := http.Get(srv.URL + "/v1/health/coordinator")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("body is not JSON: %v: %s", err, b)
		}
		return m["data_age_seconds"].(float64), m
	}
	a1, m := get()
	if a1 < 1.5 {
		t.Errorf("first age %.3f s, want at least the 1.5 s since as_of", a1)
	}
	if m["datacenter"] != "dc1" || m["nodes"].([]any)[0].(map[string]any)["data_age_seconds"].(float64) != 7 {
		t.Errorf("the rest of the body changed: %v", m)
	}
	time.Sleep(300 * time.Millisecond)
	a2, _ := get()
	if a2-a1 < 0.3 {
		t.Errorf("ages %.3f then %.3f s: did not grow by the 0.3 s slept", a1, a2)
	}
}
