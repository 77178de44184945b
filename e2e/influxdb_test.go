//go:build qemu

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// influxDB is a throwaway influxd (internal/testsupport/influxdb).
type influxDB struct {
	dir  string // its data, config, log and pid file
	addr string // HTTP host:port on loopback
}

func (db *influxDB) url() string { return "http://" + db.addr }

// series is one series of an InfluxQL result, numbers as json.Number.
type series struct {
	Name    string            `json:"name"`
	Tags    map[string]string `json:"tags"`
	Columns []string          `json:"columns"`
	Values  [][]any           `json:"values"`
}

// query runs one InfluxQL statement against database and returns its
// series (times as epoch nanoseconds). A missing database is no series.
func (db *influxDB) query(database, q string) ([]series, error) {
	v := url.Values{"db": {database}, "q": {q}, "epoch": {"ns"}}
	client := http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(db.url() + "/query?" + v.Encode())
	if err != nil {
		return nil, fmt.Errorf("InfluxDB at %s unreachable: %w", db.addr, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var r struct {
		Results []struct {
			Series []series `json:"series"`
			Error  string   `json:"error"`
		} `json:"results"`
		Error string `json:"error"`
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber() // keep integers exact
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: HTTP %d, undecodable answer %q: %w", q, resp.StatusCode, body, err)
	}
	switch {
	case r.Error != "":
		return nil, fmt.Errorf("%s: %s", q, r.Error)
	case len(r.Results) != 1:
		return nil, fmt.Errorf("%s: %d results, want 1: %s", q, len(r.Results), body)
	case strings.Contains(r.Results[0].Error, "database not found"):
		return nil, nil
	case r.Results[0].Error != "":
		return nil, fmt.Errorf("%s: %s", q, r.Results[0].Error)
	}
	return r.Results[0].Series, nil
}

func (db *influxDB) mustQuery(t *testing.T, database, q string) []series {
	t.Helper()
	s, err := db.query(database, q)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// column returns the values of one column of a single-series result as
// strings.
func column(t *testing.T, ss []series, name string) []string {
	t.Helper()
	if len(ss) != 1 {
		t.Fatalf("want one series, got %d: %+v", len(ss), ss)
	}
	i := index(t, ss[0], name)
	var out []string
	for _, row := range ss[0].Values {
		out = append(out, fmt.Sprint(row[i]))
	}
	return out
}

func index(t *testing.T, s series, name string) int {
	t.Helper()
	for i, c := range s.Columns {
		if c == name {
			return i
		}
	}
	t.Fatalf("no column %q in %v", name, s.Columns)
	return -1
}

// quoteIdent quotes an InfluxQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
