package settings

import (
	"os"
	"strings"
	"testing"
)

// TestDocsListEveryKey keeps docs/settings.md true to the table.
func TestDocsListEveryKey(t *testing.T) {
	b, err := os.ReadFile("../docs/settings.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range Supported() {
		if !strings.Contains(string(b), "| `"+i.Key+"` |") {
			t.Errorf("docs/settings.md does not list %s", i.Key)
		}
		for _, o := range i.OldNames {
			if !strings.Contains(string(b), "`"+o+"`") {
				t.Errorf("docs/settings.md does not name %s's old name %s", i.Key, o)
			}
		}
	}
}
