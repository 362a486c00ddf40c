package jolokia

import (
	"strings"
	"testing"
	"time"
)

func TestProbeSlow(t *testing.T) {
	for name, f := range map[string]func(){
		"split alt": func() { splitEscaped(strings.Repeat("!x", 3000), '!', '/') },
		"split run": func() { splitEscaped(strings.Repeat("!", 6000), '!', '/') },
		"int":       func() { parseJavaInt(strings.Repeat("9", 20000), 0, 1, false) },
		"json deep": func() { parseJSON(strings.Repeat("[", 50000)) },
		"wild":      func() { wildmatch(strings.Repeat("a", 3000), strings.Repeat("*a", 1500)+"b") },
	} {
		start := time.Now()
		f()
		t.Logf("%s: %v", name, time.Since(start))
	}
}
