// Package lineproto writes Telegraf metrics as InfluxDB line protocol,
// appending to one reused buffer: byte for byte what Telegraf's influx
// serializer (plugins/serializers/influx, no line limit, fields unsorted)
// writes, without its per-metric copies, writer calls and escaping
// allocations. The execd binary writes a whole gather with one write.
package lineproto

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/influxdata/telegraf"
)

// Encoder appends metrics to its buffer. The zero value is ready to use.
type Encoder struct {
	// UintSupport writes uint64 fields with the u suffix. Without it they
	// are written as integers (i), values above MaxInt64 as MaxInt64: what
	// the serializer does by default, and so what Telegraf's shim wrote.
	UintSupport bool

	// Debugf, if set, hears of the fields left out, as the serializer logs
	// them ("could not serialize field ...").
	Debugf func(format string, args ...any)

	buf []byte
}

// Bytes is the line protocol appended since the last Reset; it stays
// valid until the next Append or Reset.
func (e *Encoder) Bytes() []byte { return e.buf }

// Reset empties the buffer and keeps its memory.
func (e *Encoder) Reset() { e.buf = e.buf[:0] }

// MetricError is why a metric was not written at all: as the serializer,
// a metric without a name or without a field that can be written.
type MetricError struct {
	Series string // the escaped name and tags, as the serializer quotes it
	Reason string
}

func (e *MetricError) Error() string {
	if e.Series != "" {
		return fmt.Sprintf("%q: %s", e.Series, e.Reason)
	}
	return e.Reason
}

// Append writes one line for m; if m cannot be written, nothing is
// appended and the error says why.
func (e *Encoder) Append(m telegraf.Metric) error {
	start := len(e.buf)
	b := appendEscaped(e.buf, m.Name(), &nameEscapes)
	if len(b) == start {
		return &MetricError{Reason: "invalid name"}
	}
	for _, t := range m.TagList() {
		// The serializer escapes, then drops the trailing backslashes
		// line protocol cannot encode, then skips empty keys and values.
		mark := len(b)
		b = append(b, ',')
		b = trimBackslashes(appendEscaped(b, t.Key, &escapes), mark+1)
		if len(b) == mark+1 {
			b = b[:mark]
			continue
		}
		b = append(b, '=')
		keyEnd := len(b)
		b = trimBackslashes(appendEscaped(b, t.Value, &escapes), keyEnd)
		if len(b) == keyEnd {
			b = b[:mark]
		}
	}
	header := len(b)
	b = append(b, ' ')
	fields := 0
	for _, f := range m.FieldList() {
		mark := len(b)
		if fields > 0 {
			b = append(b, ',')
		}
		if f.Key == "" {
			b = e.skipField(b, mark, f.Key, "invalid field key")
			continue
		}
		b = appendEscaped(b, f.Key, &escapes)
		b = append(b, '=')
		var reason string
		b, reason = e.appendValue(b, f.Value)
		if reason != "" {
			b = e.skipField(b, mark, f.Key, reason)
			continue
		}
		fields++
	}
	if fields == 0 {
		// The serializer quotes its header with the trailing spaces trimmed.
		series := strings.TrimRight(string(b[start:header+1]), " ")
		e.buf = b[:start]
		return &MetricError{Series: series, Reason: "no serializable fields"}
	}
	b = append(b, ' ')
	b = strconv.AppendInt(b, m.Time().UnixNano(), 10)
	e.buf = append(b, '\n')
	return nil
}

func (e *Encoder) skipField(b []byte, mark int, key, reason string) []byte {
	if e.Debugf != nil {
		e.Debugf("could not serialize field %q: %v; discarding field", key, reason)
	}
	return b[:mark]
}

// appendValue writes a field value as the serializer does; a non-empty
// reason means the field cannot be written.
func (e *Encoder) appendValue(b []byte, value any) ([]byte, string) {
	switch v := value.(type) {
	case uint64:
		if e.UintSupport {
			return append(strconv.AppendUint(b, v, 10), 'u'), ""
		}
		if v > math.MaxInt64 {
			v = math.MaxInt64
		}
		return append(strconv.AppendInt(b, int64(v), 10), 'i'), ""
	case int64:
		return append(strconv.AppendInt(b, v, 10), 'i'), ""
	case float64:
		if math.IsNaN(v) {
			return b, "is NaN"
		}
		if math.IsInf(v, 0) {
			return b, "is Inf"
		}
		return strconv.AppendFloat(b, v, 'f', -1, 64), ""
	case string:
		b = append(b, '"')
		b = appendEscaped(b, v, &stringEscapes)
		return append(b, '"'), ""
	case bool:
		return strconv.AppendBool(b, v), ""
	default:
		return b, fmt.Sprintf("invalid value type: %T", v)
	}
}

// escapeTable maps a byte to the character written after a backslash, or 0
// for a byte written as it is.
type escapeTable [256]byte

var escapes, nameEscapes, stringEscapes escapeTable

func init() {
	// The serializer's replacers: tag keys, tag values and field keys; the
	// measurement (the same without '='); string field values.
	for _, t := range []*escapeTable{&escapes, &nameEscapes} {
		t['\t'], t['\n'], t['\f'], t['\r'], t[','], t[' '] = 't', 'n', 'f', 'r', ',', ' '
	}
	escapes['='] = '='
	stringEscapes['"'], stringEscapes['\\'] = '"', '\\'
}

// appendEscaped appends s, copying the runs between escaped bytes whole.
func appendEscaped(b []byte, s string, t *escapeTable) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		if c := t[s[i]]; c != 0 {
			b = append(b, s[last:i]...)
			b = append(b, '\\', c)
			last = i + 1
		}
	}
	return append(b, s[last:]...)
}

// trimBackslashes drops the backslashes at the end of b, not before from.
func trimBackslashes(b []byte, from int) []byte {
	for len(b) > from && b[len(b)-1] == '\\' {
		b = b[:len(b)-1]
	}
	return b
}
