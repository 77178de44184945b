package dashboards

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"slices"
)

// gridPanel is what the picture needs of a panel of a dashboard's JSON.
type gridPanel struct {
	Type    string `json:"type"`
	Title   string `json:"title"`
	GridPos struct {
		X, Y, W, H int
	} `json:"gridPos"`
}

type gridDashboard struct {
	Title  string      `json:"title"`
	Panels []gridPanel `json:"panels"`
}

// Grid scale of the picture: Grafana's grid is 24 columns wide, its rows
// about 30 px high.
const (
	svgColumn = 40
	svgRow    = 30
	svgMargin = 10
	svgHead   = 30
)

// GridSVG draws the panel grid of a dashboard's JSON under heading: each
// panel a box at its gridPos with its title and type, each row a band with
// its title.
func GridSVG(dashboardJSON []byte, heading string) ([]byte, error) {
	var d gridDashboard
	if err := json.Unmarshal(dashboardJSON, &d); err != nil {
		return nil, fmt.Errorf("reading the dashboard: %w", err)
	}
	if len(d.Panels) == 0 {
		return nil, fmt.Errorf("dashboard %q has no panels", d.Title)
	}
	bottom := 0
	for _, p := range d.Panels {
		bottom = max(bottom, p.GridPos.Y+p.GridPos.H)
	}
	width := 24*svgColumn + 2*svgMargin
	height := svgHead + bottom*svgRow + 2*svgMargin
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#f4f5f5"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="16" font-weight="bold" fill="#24292e">%s</text>`+"\n",
		svgMargin, svgMargin+16, escape(heading))
	panels := slices.Clone(d.Panels)
	for _, p := range panels {
		x := svgMargin + p.GridPos.X*svgColumn
		y := svgMargin + svgHead + p.GridPos.Y*svgRow
		w, h := p.GridPos.W*svgColumn, p.GridPos.H*svgRow
		if p.Type == "row" {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="14" font-weight="bold" fill="#24292e">%s</text>`+"\n",
				x+4, y+20, escape(p.Title))
			continue
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="4" fill="#ffffff" stroke="#c7d0d9"/>`+"\n",
			x+2, y+2, w-4, h-4)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" fill="#24292e">%s</text>`+"\n",
			x+10, y+22, escape(p.Title))
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#6e7781">%s</text>`+"\n",
			x+10, y+40, escape(p.Type))
	}
	b.WriteString("</svg>\n")
	return b.Bytes(), nil
}

func escape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// sameGrid tells whether two dashboards' JSON have the same panels at the
// same places.
func sameGrid(a, b []byte) (bool, error) {
	var da, db gridDashboard
	if err := json.Unmarshal(a, &da); err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, &db); err != nil {
		return false, err
	}
	return slices.Equal(da.Panels, db.Panels), nil
}
