package jolokia

import (
	"sort"
	"strings"
)

// objectName is a parsed javax.management.ObjectName.
type objectName struct {
	domain           string
	props            []objProp // in the order given
	domainPattern    bool
	propListPattern  bool
	propValuePattern bool
}

type objProp struct {
	key, value string
	pattern    bool // value contains * or ?
}

func malformedName(msg string) *jexc {
	return newExc("javax.management.MalformedObjectNameException", msg)
}

// parseObjectName follows ObjectName.construct(String) of JDK 17, messages
// included.
func parseObjectName(name string) (*objectName, *jexc) {
	if name == "" {
		return &objectName{domain: "*", domainPattern: true, propListPattern: true}, nil
	}
	cs := []rune(name)
	n := len(cs)
	on := &objectName{}
	index := 0
	domainLen := -1
domainParsing:
	for index < n {
		switch cs[index] {
		case ':':
			domainLen = index
			index++
			break domainParsing
		case '=':
			// The ':' was probably forgotten.
			index++
			i := index
			for i < n {
				c := cs[i]
				i++
				if c == ':' {
					break
				}
				if i == n {
					return nil, malformedName("Domain part must be specified")
				}
			}
		case '\n':
			return nil, malformedName("Invalid character '\\n' in domain name")
		case '*', '?':
			on.domainPattern = true
			index++
		default:
			index++
		}
	}
	if index == n {
		return nil, malformedName("Key properties cannot be empty")
	}
	on.domain = string(cs[:domainLen])
	seen := map[string]bool{}
	for index < n {
		c := cs[index]
		if c == '*' {
			if on.propListPattern {
				return nil, malformedName("Cannot have several '*' characters in pattern property list")
			}
			on.propListPattern = true
			index++
			if index < n && cs[index] != ',' {
				return nil, malformedName("Invalid character found after '*': end of name or ',' expected")
			}
			if index == n {
				break
			}
			index++
			continue
		}
		in := index
		keyIndex := in
		if cs[in] == '=' {
			return nil, malformedName("Invalid key (empty)")
		}
		var c1 rune
		for in < n {
			c1 = cs[in]
			in++
			if c1 == '=' {
				break
			}
			switch c1 {
			case '*', '?', ',', ':', '\n':
				ch := string(c1)
				if c1 == '\n' {
					ch = "\\n"
				}
				return nil, malformedName("Invalid character '" + ch + "' in key part of property")
			}
		}
		if cs[in-1] != '=' {
			return nil, malformedName("Unterminated key property part")
		}
		valueIndex := in
		key := string(cs[keyIndex : valueIndex-1])
		valuePattern := false
		quoted := false
		if in < n && cs[in] == '"' {
			quoted = true
			for {
				in++
				if in >= n {
					break
				}
				c1 = cs[in]
				if c1 == '"' {
					break
				}
				if c1 == '\\' {
					in++
					if in == n {
						return nil, malformedName("Unterminated quoted value")
					}
					switch c1 = cs[in]; c1 {
					case '\\', '"', '?', '*', 'n':
					default:
						return nil, malformedName("Invalid escape sequence '\\" + string(c1) + "' in quoted value")
					}
				} else if c1 == '\n' {
					return nil, malformedName("Newline in quoted value")
				} else if c1 == '?' || c1 == '*' {
					valuePattern = true
				}
			}
			if in == n {
				return nil, malformedName("Unterminated quoted value")
			}
			in++
		} else {
			for in < n && cs[in] != ',' {
				switch c1 = cs[in]; c1 {
				case '*', '?':
					valuePattern = true
					in++
				case '=', ':', '"', '\n':
					ch := string(c1)
					if c1 == '\n' {
						ch = "\\n"
					}
					return nil, malformedName("Invalid character '" + ch + "' in value part of property")
				default:
					in++
				}
			}
		}
		value := string(cs[valueIndex:in])
		if in == n-1 {
			if quoted {
				return nil, malformedName("Invalid ending character `" + string(cs[in]) + "'")
			}
			return nil, malformedName("Invalid ending comma")
		}
		in++
		if seen[key] {
			return nil, malformedName("key `" + key + "' already defined")
		}
		seen[key] = true
		if valuePattern {
			on.propValuePattern = true
		}
		on.props = append(on.props, objProp{key: key, value: value, pattern: valuePattern})
		index = in
	}
	return on, nil
}

func (o *objectName) isPattern() bool {
	return o.domainPattern || o.propListPattern || o.propValuePattern
}

func (o *objectName) keyPropertyList() string {
	parts := make([]string, len(o.props))
	for i, p := range o.props {
		parts[i] = p.key + "=" + p.value
	}
	return strings.Join(parts, ",")
}

func (o *objectName) canonicalKeyPropertyList() string {
	ps := append([]objProp(nil), o.props...)
	sort.SliceStable(ps, func(i, j int) bool { return javaLess(ps[i].key, ps[j].key) })
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.key + "=" + p.value
	}
	return strings.Join(parts, ",")
}

func (o *objectName) withListPattern(s string) string {
	if !o.propListPattern {
		return s
	}
	if len(o.props) == 0 {
		return s + "*"
	}
	return s + ",*"
}

// canonical is ObjectName.getCanonicalName: keys sorted.
func (o *objectName) canonical() string {
	return o.withListPattern(o.domain + ":" + o.canonicalKeyPropertyList())
}

// String is ObjectName.toString: keys in the order given.
func (o *objectName) String() string {
	return o.withListPattern(o.domain + ":" + o.keyPropertyList())
}

func (o *objectName) prop(k string) (string, bool) {
	for _, p := range o.props {
		if p.key == k {
			return p.value, true
		}
	}
	return "", false
}

// apply is ObjectName.apply: does the pattern o match the plain name n?
func (o *objectName) apply(n *objectName) bool {
	if n.isPattern() {
		return false
	}
	if !o.isPattern() {
		return o.canonical() == n.canonical()
	}
	if o.domainPattern {
		if !wildmatch(n.domain, o.domain) {
			return false
		}
	} else if o.domain != n.domain {
		return false
	}
	if o.propValuePattern && !o.propListPattern && len(n.props) != len(o.props) {
		return false
	}
	if o.propListPattern || o.propValuePattern {
		for _, p := range o.props {
			v, ok := n.prop(p.key)
			if !ok {
				return false
			}
			if o.propValuePattern && p.pattern {
				if !wildmatch(v, p.value) {
					return false
				}
				continue
			}
			if v != p.value {
				return false
			}
		}
		return true
	}
	return n.canonicalKeyPropertyList() == o.canonicalKeyPropertyList()
}

// wildmatch matches s against a pattern of '*' (any run) and '?' (one char).
func wildmatch(s, pattern string) bool {
	rs, ps := []rune(s), []rune(pattern)
	si, pi := 0, 0
	starP, starS := -1, 0
	for si < len(rs) {
		switch {
		case pi < len(ps) && (ps[pi] == '?' || ps[pi] == rs[si]):
			si++
			pi++
		case pi < len(ps) && ps[pi] == '*':
			starP, starS = pi, si
			pi++
		case starP >= 0:
			pi = starP + 1
			starS++
			si = starS
		default:
			return false
		}
	}
	for pi < len(ps) && ps[pi] == '*' {
		pi++
	}
	return pi == len(ps)
}
