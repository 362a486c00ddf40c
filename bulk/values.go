package bulk

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// Converters of decoded Jolokia values (numbers arrive as json.Number).

func toInt64(v any) (int64, error) {
	switch x := v.(type) {
	case json.Number:
		return x.Int64()
	case float64:
		if x == float64(int64(x)) {
			return int64(x), nil
		}
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case string: // Jolokia writes some longs as strings
		return strconv.ParseInt(x, 10, 64)
	}
	return 0, fmt.Errorf("%T %v is not an integer", v, v)
}

func toBool(v any) (bool, error) {
	if b, ok := v.(bool); ok {
		return b, nil
	}
	return false, fmt.Errorf("%T %v is not a boolean", v, v)
}

func toString(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	return "", fmt.Errorf("%T %v is not a string", v, v)
}

func toStrings(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return []string{}, nil
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("list element %T is not a string", e)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("%T is not a list", v)
}

// readStorageService reads one StorageService attribute.
func readStorageService(ctx context.Context, j JMX, attr string) (any, error) {
	v, err := j.ReadAttr(ctx, storageService, attr)
	if err != nil {
		return nil, fmt.Errorf("reading StorageService %s: %w", attr, err)
	}
	return v, nil
}
