package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// maxOutput is how much of a command's output is kept for the report.
const maxOutput = 4096

// runCommand runs command with /bin/sh -c until it exits or ctx ends
// (then the shell is killed). Output goes to a file rather than a pipe:
// a start command that forks Cassandra into the background (bin/cassandra
// of a tarball install) leaves it holding the command's stdout, and a
// pipe would then never close. The process group is left alone for the
// same reason: killing it could kill the Cassandra it started.
func runCommand(ctx context.Context, command string) (string, error) {
	out, err := os.CreateTemp("", "ringside-cmd-*.log")
	if err != nil {
		return "", fmt.Errorf("running %q: %w", command, err)
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	text := tail(out)
	if err != nil {
		if ctx.Err() != nil {
			cause := context.Cause(ctx)
			if errors.Is(cause, context.DeadlineExceeded) {
				return text, fmt.Errorf("%q did not finish in time and was killed", command)
			}
			return text, fmt.Errorf("%q was interrupted: %v", command, cause)
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			msg := fmt.Sprintf("%q failed (%s)", command, ee.ProcessState)
			if text != "" {
				msg += ": " + text
			}
			return text, errors.New(msg)
		}
		return text, fmt.Errorf("running %q: %w", command, err)
	}
	return text, nil
}

// tail returns the end of the output file, trimmed.
func tail(f *os.File) string {
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(st.Size()-maxOutput, 0)
	b := make([]byte, st.Size()-off)
	n, _ := f.ReadAt(b, off)
	if n < 0 {
		n = 0
	}
	s := strings.TrimSpace(strings.ToValidUTF8(string(b[:n]), "\uFFFD"))
	if off > 0 {
		s = "…" + s
	}
	return s
}
