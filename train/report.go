package train

import (
	"bytes"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"time"

	"github.com/seed477ab429/multilabel/metrics"
)

// Report is the content of a run's one-page HTML summary.
type Report struct {
	Title    string
	Model    string
	Params   int
	GMACs    float64 // deployed model, per image
	Size     int     // input side in pixels
	Config   Config
	Classes  []string
	At05     metrics.Result // threshold 0.5
	Adapt    *metrics.Result
	History  []EpochStats
	Examples []Example
	Notes    []string
	Duration time.Duration
	Curves   string // file names of the PNGs in the run folder ("" if absent)
	PR       string
}

// Example is one test image with its labels and predictions.
type Example struct {
	Image     string // path relative to the report
	Truth     []string
	Predicted []Prediction
}

// Prediction is a class above its threshold, with its score.
type Prediction struct {
	Class string
	Score float64
	Right bool // the class is in the ground truth
}

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(v float64) string { return fmt.Sprintf("%.2f", 100*v) },
	"f2":  func(v float64) string { return fmt.Sprintf("%.2f", v) },
	"ap": func(r metrics.Result, j int) string {
		if j < len(r.AP) {
			return fmt.Sprintf("%.2f", 100*r.AP[j])
		}
		return ""
	},
	"pos": func(r metrics.Result, j int) int {
		if j < len(r.PerClass) {
			return r.PerClass[j].TP + r.PerClass[j].FN
		}
		return 0
	},
}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{padding:.25em .7em;border-bottom:1px solid #ddd;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}img.plot{max-width:100%}
.ex{display:inline-block;width:200px;margin:.4em;vertical-align:top;font-size:.85em}
.ex img{width:200px;image-rendering:pixelated}.ok{color:#1a7f37}.bad{color:#c62828}.miss{color:#888}
</style></head><body>
<h1>{{.Title}}</h1>
<p>{{.Model}}: {{.Params}} parameters, {{f2 .GMACs}} GMACs per {{.Size}}×{{.Size}} image (deployed model).
{{len .History}} epochs in {{.Duration}}.</p>
{{range .Notes}}<p>{{.}}</p>{{end}}
<h2>Results on the test split</h2>
<table><tr><th class="l"></th><th>mAP</th><th>CP</th><th>CR</th><th>CF1</th><th>OP</th><th>OR</th><th>OF1</th></tr>
<tr><td class="l">threshold 0.5</td><td>{{pct .At05.MAP}}</td><td>{{pct .At05.CP}}</td><td>{{pct .At05.CR}}</td><td>{{pct .At05.CF1}}</td><td>{{pct .At05.OP}}</td><td>{{pct .At05.OR}}</td><td>{{pct .At05.OF1}}</td></tr>
{{with .Adapt}}<tr><td class="l">per-class thresholds (adapt)</td><td>{{pct .MAP}}</td><td>{{pct .CP}}</td><td>{{pct .CR}}</td><td>{{pct .CF1}}</td><td>{{pct .OP}}</td><td>{{pct .OR}}</td><td>{{pct .OF1}}</td></tr>{{end}}
</table>
{{if .Curves}}<h2>Training curves</h2><img class="plot" src="{{.Curves}}">{{end}}
<h2>Examples</h2>
<p><span class="ok">correct prediction</span>, <span class="bad">wrong prediction</span>, <span class="miss">missed label</span></p>
{{range .Examples}}<div class="ex"><img src="{{.Image}}"><br>
{{range .Predicted}}<span class="{{if .Right}}ok{{else}}bad{{end}}">{{.Class}} {{printf "%.2f" .Score}}</span><br>{{end}}
{{$p := .Predicted}}{{range .Truth}}{{$t := .}}{{$found := false}}{{range $p}}{{if eq .Class $t}}{{$found = true}}{{end}}{{end}}{{if not $found}}<span class="miss">missed: {{$t}}</span><br>{{end}}{{end}}
</div>{{end}}
<h2>Per-class AP</h2>
<table><tr><th class="l">class</th><th>AP</th><th>positives</th></tr>
{{$r := .At05}}{{range $j, $c := .Classes}}<tr><td class="l">{{$c}}</td><td>{{ap $r $j}}</td><td>{{pos $r $j}}</td></tr>{{end}}
</table>
{{if .PR}}<h2>Precision-recall curves</h2><img class="plot" src="{{.PR}}">{{end}}
<h2>Epochs</h2>
<table><tr><th>epoch</th><th>train loss</th><th>mAP</th><th>mAP (EMA)</th><th>lr</th><th>seconds</th></tr>
{{range .History}}<tr><td>{{.Epoch}}{{if .Best}} *{{end}}</td><td>{{printf "%.4f" .TrainLoss}}</td><td>{{if ge .MAP 0.0}}{{pct .MAP}}{{end}}</td><td>{{if ge .MAPEMA 0.0}}{{pct .MAPEMA}}{{end}}</td><td>{{printf "%.2e" .LR}}</td><td>{{printf "%.0f" .Seconds}}</td></tr>{{end}}
</table>
<h2>Recipe</h2><pre>{{printf "%+v" .Config}}</pre>
</body></html>
`))

// WriteReport renders r as HTML to path (written atomically).
func WriteReport(path string, r *Report) error {
	var buf bytes.Buffer
	if err := reportTmpl.Execute(&buf, r); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// CopyFile copies src to dir/name (for report thumbnails) and returns
// name.
func CopyFile(src, dir, name string) (string, error) {
	b, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	return name, os.WriteFile(filepath.Join(dir, name), b, 0o644)
}
