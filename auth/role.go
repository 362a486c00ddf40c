package auth

import (
	"fmt"
	"strings"
)

// Role is what a token may do; roles are ordered, each allowing what the
// ones below it allow.
type Role int

const (
	RoleNone    Role = iota // no access; the zero value
	RoleRead                // GET and HEAD
	RoleOperate             // changes: settings, bulk commands, desires, jobs
	RoleAdmin               // everything, /v1/admin/ included
)

var roleNames = [...]string{RoleNone: "none", RoleRead: "read", RoleOperate: "operate", RoleAdmin: "admin"}

func (r Role) String() string {
	if r >= 0 && int(r) < len(roleNames) {
		return roleNames[r]
	}
	return fmt.Sprintf("Role(%d)", int(r))
}

// ParseRole reads "read", "operate" or "admin" (in any case). "none" is
// refused: a token or a flag naming it is a mistake.
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(s) {
	case "read":
		return RoleRead, nil
	case "operate":
		return RoleOperate, nil
	case "admin":
		return RoleAdmin, nil
	}
	return RoleNone, fmt.Errorf("unknown role %q (want read, operate or admin)", clip(s))
}

// MarshalText and UnmarshalText let a Role be a config or JSON value.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// clip keeps echoed strings (claims, paths, alg names) short in errors and
// logs.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
