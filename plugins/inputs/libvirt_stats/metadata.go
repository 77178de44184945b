//go:build cgo && linux

package libvirt_stats

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/antchfx/xmlquery"
	"github.com/antchfx/xpath"
	"github.com/influxdata/telegraf"
)

// metadata.go: metadata_tags, XPath expressions on the domain XML whose
// results tag the domain's metrics: compiled at Init, evaluated on each XML
// that metadata_cache.go reads.

// metadataQuery is one metadata tag: its name and compiled XPath.
type metadataQuery struct {
	tag  string
	expr *xpath.Expr
}

// compileMetadataTags compiles metadata_tags with metadata_namespaces, in
// tag name order, naming the tag and expression that do not compile.
func compileMetadataTags(tags, namespaces map[string]string) ([]metadataQuery, error) {
	for prefix, uri := range namespaces {
		if prefix == "" || strings.ContainsAny(prefix, ": \t") || uri == "" {
			return nil, fmt.Errorf("metadata_namespaces: %q = %q: give a prefix without ':' and a namespace URI", prefix, uri)
		}
	}
	if namespaces == nil {
		// Not nil: with nil the XPath library accepts any prefix and
		// compares it with the document's, which the XML is free to pick.
		namespaces = map[string]string{}
	}
	reserved := append([]string{"domain", "uuid"}, deviceTagNames...)
	names := make([]string, 0, len(tags))
	for name := range tags {
		names = append(names, name)
	}
	slices.Sort(names)
	queries := make([]metadataQuery, 0, len(names))
	for _, name := range names {
		if name == "" {
			return nil, errors.New("metadata_tags: a tag name is empty")
		}
		if strings.ContainsAny(name, "\t\n\v\f\r") || strings.HasSuffix(name, `\`) {
			return nil, fmt.Errorf("metadata_tags: tag name %q: line protocol cannot carry a control character or a trailing backslash in a tag name", name)
		}
		if slices.Contains(reserved, name) {
			return nil, fmt.Errorf("metadata_tags: tag name %q is taken; the plugin sets %s", name, strings.Join(reserved, ", "))
		}
		expr, err := xpath.CompileWithNS(tags[name], namespaces)
		if err != nil {
			return nil, fmt.Errorf("metadata_tags: tag %q: invalid XPath %q: %w", name, tags[name], err)
		}
		queries = append(queries, metadataQuery{tag: name, expr: expr})
	}
	return queries, nil
}

// evaluate applies every query to a domain XML. A query that selects
// nothing, or yields an empty string, gives no tag.
func (c *metadataCache) evaluate(xml string) ([]telegraf.Tag, error) {
	doc, err := xmlquery.Parse(strings.NewReader(xml))
	if err != nil {
		return nil, err
	}
	c.evalMu.Lock()
	defer c.evalMu.Unlock()
	var tags []telegraf.Tag
	var errs []error
	for _, q := range c.queries {
		v, err := q.value(doc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if v != "" {
			tags = append(tags, telegraf.Tag{Key: q.tag, Value: lineSafe(v)})
		}
	}
	return tags, errors.Join(errs...)
}

// value evaluates the query on a document. The XPath library panics on
// some expressions that compile (a comparison of comparisons, such as
// "a>a>b/c", found by FuzzConfig): that is the query's error, not a
// crash of the whole agent.
func (q metadataQuery) value(doc *xmlquery.Node) (v string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("metadata_tags: tag %q: XPath %q failed: %v", q.tag, q.expr.String(), r)
		}
	}()
	return xpathValue(q.expr.Evaluate(xmlquery.CreateXPathNavigator(doc))), nil
}

// xpathValue renders an XPath result: a node set as its first node's text
// (an attribute's value, an element's text content), trimmed.
func xpathValue(v any) string {
	switch x := v.(type) {
	case *xpath.NodeIterator:
		if x.MoveNext() {
			return strings.TrimSpace(x.Current().Value())
		}
	case string:
		return strings.TrimSpace(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}
