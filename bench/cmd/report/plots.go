package main

import (
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// curve is one line of a chart.
type curve struct {
	name string
	xy   plotter.XYs
	dash bool // drawn dashed: a reference (the oracle, a target, the cap)
}

// chart is one panel: a title, axis labels and its lines.
type chart struct {
	title, x, y string
	logX, logY  bool
	lines       []curve
	minY        float64   // the y axis starts here or lower; NaN: let the data decide
	xMin, xMax  float64   // the x axis's range when xMax > xMin
	yMax        float64   // the y axis reaches at least this
	xTicks      []float64 // ticks at these values only, when set
	legendLeft  bool      // the legend at the top left, not the top right
}

// palette holds the colors of the lines, by their order in a chart; a line
// of the same name keeps its color across the panels of a picture.
var palette = []color.Color{
	color.RGBA{0x1f, 0x77, 0xb4, 0xff}, // blue
	color.RGBA{0xd6, 0x27, 0x28, 0xff}, // red
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, // green
	color.RGBA{0xff, 0x7f, 0x0e, 0xff}, // orange
	color.RGBA{0x94, 0x67, 0xbd, 0xff}, // purple
	color.RGBA{0x8c, 0x56, 0x4b, 0xff}, // brown
	color.RGBA{0x7f, 0x7f, 0x7f, 0xff}, // grey
}

func (c chart) plot(colors map[string]color.Color) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = c.title
	p.X.Label.Text = c.x
	p.Y.Label.Text = c.y
	p.Legend.Top = true
	p.Legend.Left = c.legendLeft
	p.Legend.Padding = vg.Points(2)
	p.Add(plotter.NewGrid())
	if c.logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = decadeTicks{}
	}
	if c.logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	} else {
		p.Y.Tick.Marker = plainTicks{}
	}
	if !c.logX {
		p.X.Tick.Marker = plainTicks{}
	}
	if len(c.xTicks) > 0 {
		var ts plot.ConstantTicks
		for _, v := range c.xTicks {
			ts = append(ts, plot.Tick{Value: v, Label: siLabel(v)})
		}
		p.X.Tick.Marker = ts
	}
	for _, s := range c.lines {
		if len(s.xy) == 0 {
			continue
		}
		col, ok := colors[s.name]
		if !ok {
			col = palette[len(colors)%len(palette)]
			colors[s.name] = col
		}
		l, pts, err := plotter.NewLinePoints(s.xy)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = col, vg.Points(1.5)
		if s.dash {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
		entry := []plot.Thumbnailer{l}
		if len(s.xy) <= 12 { // points only on sparse curves
			pts.Color, pts.Radius = col, vg.Points(2.5)
			p.Add(pts)
			entry = append(entry, pts)
		}
		p.Legend.Add(s.name, entry...)
	}
	if c.minY == c.minY && !c.logY { // not NaN
		p.Y.Min = min(p.Y.Min, c.minY)
	}
	if c.xMax > c.xMin {
		p.X.Min, p.X.Max = c.xMin, c.xMax
	}
	p.Y.Max = max(p.Y.Max, c.yMax)
	// Headroom above the curves for the legend.
	if c.logY {
		p.Y.Max *= math.Pow(p.Y.Max/p.Y.Min, 0.12*float64(len(c.lines)))
	} else {
		p.Y.Max += (p.Y.Max - p.Y.Min) * 0.13 * float64(len(c.lines))
	}
	return p, nil
}

// writePNG draws charts as a grid of cols columns into file, each panel
// w×h points.
func writePNG(file string, cols int, w, h vg.Length, charts ...chart) error {
	rows := (len(charts) + cols - 1) / cols
	colors := map[string]color.Color{}
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
	}
	for i, c := range charts {
		p, err := c.plot(colors)
		if err != nil {
			return err
		}
		grid[i/cols][i%cols] = p
	}
	img := vgimg.NewWith(vgimg.UseWH(w*vg.Length(cols), h*vg.Length(rows)), vgimg.UseDPI(110))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(grid, tiles, dc)
	for j := range grid {
		for i := range grid[j] {
			if grid[j][i] != nil {
				grid[j][i].Draw(canvases[j][i])
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// plainTicks are gonum's default ticks labelled without trailing zeros.
type plainTicks struct{}

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(math.Round(ts[i].Value*1e6)/1e6, 'f', -1, 64)
		}
	}
	return ts
}

// decadeTicks mark every power of ten of a log axis, labelling every other
// one (1, 100, 10k, 1M, ...) when there are more than four.
type decadeTicks struct{}

func (decadeTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	first := math.Floor(math.Log10(lo))
	n := math.Ceil(math.Log10(hi)) - first
	for e := first; e <= first+n; e++ {
		v := math.Pow(10, e)
		if v < lo*0.999 || v > hi*1.001 {
			continue
		}
		t := plot.Tick{Value: v}
		if n <= 4 || int(e-first)%2 == 0 {
			t.Label = siLabel(v)
		}
		ts = append(ts, t)
	}
	return ts
}

func siLabel(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 4, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'g', 4, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}
