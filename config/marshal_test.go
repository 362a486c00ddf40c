package config

import (
	"reflect"
	"testing"
)

func TestMarshalRoundTrip(t *testing.T) {
	c := Default()
	c.Desires.Interval = 123e6
	c.Cassandra.NodetoolArgs = []string{"-h", "x"}
	b, err := Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse("x.yaml", b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	got.origin, c.origin = nil, nil
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("round trip differs:\n%s", b)
	}
}
