//! Charts of a report: TFLOP/s against problem size for every file in one overlay (rated peaks
//! and published measurements as labelled lines, the interquartile range of each point as a
//! whisker), and bars: utilization against the rated peak, TFLOP/s per GPU with the median and
//! the stragglers marked, and a model's GEMMs against their weighted rate.

use super::summary::{Row, Source};
use crate::charts::axis::{label, percent_label, Axis, Scale};
use crate::charts::frame::{AxisSpec, Frame, FrameSpec, Mark, LABEL_PX};
use crate::charts::scene::{Anchor, Hover, Rect, Rgb, Scene, Shape, Text};
use crate::charts::{color, text, Chart};
use crate::output::{percent, tflops};
use crate::results::best::is_verified;
use crate::results::{Results, Run};

/// TFLOP/s against problem size: one series per file, device, kernel and dtype. The x axis is
/// the swept dimension when only one of m, n, k varies, N for cubes, else (m n k)^(1/3); lines
/// join a series only along such a dimension (a model's unrelated shapes get points alone, and
/// model files are left to their own chart).
pub struct SizeChart<'a> {
    pub sources: &'a [Source],
}

/// The x axis: its name and a run's value on it.
type XAxis = (String, fn(&Run) -> f64, bool);

/// The one dimension that varies among the runs while the others stay fixed, if any; cubes
/// by their side; otherwise the cube root of m n k, not a line.
fn x_axis(runs: &[&Run]) -> XAxis {
    let distinct = |f: fn(&Run) -> usize| {
        let mut v: Vec<usize> = runs.iter().map(|r| f(r)).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let (m, n, k) = (distinct(|r| r.m), distinct(|r| r.n), distinct(|r| r.k));
    match (m.len(), n.len(), k.len()) {
        (2.., 1, 1) => (
            format!("m (n = {}, k = {})", n[0], k[0]),
            |r| r.m as f64,
            true,
        ),
        (1, 2.., 1) => (
            format!("n (m = {}, k = {})", m[0], k[0]),
            |r| r.n as f64,
            true,
        ),
        (1, 1, 2..) => (
            format!("k (m = {}, n = {})", m[0], n[0]),
            |r| r.k as f64,
            true,
        ),
        _ if runs.iter().all(|r| r.m == r.n && r.n == r.k) => {
            ("size N (M = N = K)".into(), |r| r.m as f64, true)
        }
        _ => (
            "size (m n k)^(1/3)".into(),
            |r| (r.m as f64 * r.n as f64 * r.k as f64).cbrt(),
            false,
        ),
    }
}

/// A run's median TFLOP/s with the rates at its slowest and fastest quartile times.
fn rate_spread(r: &Run) -> (f64, f64, f64) {
    let at = |t: f64| {
        if t > 0.0 {
            r.flop / t / 1e12
        } else {
            r.tflops.median
        }
    };
    (r.tflops.median, at(r.time_s.p75), at(r.time_s.p25))
}

/// A point of a series: its x, its median rate with the rates at the quartile times, and
/// what hovering over it says.
struct Point {
    x: f64,
    median: f64,
    low: f64,
    high: f64,
    hover: String,
}

struct Series {
    name: String,
    points: Vec<Point>,
}

/// A horizontal line drawn across a chart, labelled: a rated peak, a published measurement.
struct Level {
    value: f64,
    color: Rgb,
    label: String,
}

impl SizeChart<'_> {
    fn runs(&self) -> Vec<(&Source, &Run)> {
        self.sources
            .iter()
            .filter(|s| s.results.model.is_none())
            .flat_map(|s| {
                s.results
                    .runs
                    .iter()
                    .filter(|r| is_verified(r))
                    .map(move |r| (s, r))
            })
            .collect()
    }

    fn series(&self, x: fn(&Run) -> f64) -> Vec<Series> {
        let multi = self.sources.len() > 1;
        let mut out: Vec<Series> = Vec::new();
        for (s, r) in self.runs() {
            let name = if multi {
                format!("{} {} {} {}", s.label, r.device, r.kernel, r.dtype)
            } else {
                format!("{} {} {}", r.device, r.kernel, r.dtype)
            };
            let (mid, lo, hi) = rate_spread(r);
            let hover = format!(
                "{name} {}x{}x{}: {} TFLOP/s{}",
                r.m,
                r.n,
                r.k,
                tflops(mid),
                r.utilization
                    .rated
                    .map(|u| format!(" ({} of peak)", percent(u)))
                    .unwrap_or_default()
            );
            let point = Point {
                x: x(r),
                median: mid,
                low: lo,
                high: hi,
                hover,
            };
            match out.iter_mut().find(|x| x.name == name) {
                Some(x) => x.points.push(point),
                None => out.push(Series {
                    name,
                    points: vec![point],
                }),
            }
        }
        for s in &mut out {
            s.points.sort_by(|a, b| a.x.total_cmp(&b.x));
        }
        out
    }

    /// Rated peaks of the devices and dtypes drawn (one line per distinct value), and the
    /// published measurement of their chips.
    fn levels(&self) -> Vec<Level> {
        let mut peaks: Vec<(f64, Vec<String>)> = Vec::new();
        let mut refs: Vec<Level> = Vec::new();
        for (s, r) in self.runs() {
            let Some(peak) = s
                .results
                .devices
                .iter()
                .find(|d| d.id == r.device)
                .and_then(|d| d.rated_tflops.get(&r.dtype).copied())
            else {
                continue;
            };
            let who = format!("{} {}", r.device, r.dtype);
            match peaks
                .iter_mut()
                .find(|(v, _)| (v / peak - 1.0).abs() < 1e-3)
            {
                Some((_, names)) if !names.contains(&who) => names.push(who),
                Some(_) => {}
                None => peaks.push((peak, vec![who])),
            }
            let chip = s
                .results
                .devices
                .iter()
                .find(|d| d.id == r.device)
                .and_then(|d| d.rated_matched.as_deref());
            if let Some(rf) = chip.and_then(|c| crate::reference::reference(c, r.dtype)) {
                let label = format!(
                    "published {} {}: {} ({})",
                    rf.chip,
                    r.dtype,
                    tflops(rf.tflops),
                    rf.measured_by
                );
                if !refs.iter().any(|l| l.label == label) {
                    refs.push(Level {
                        value: rf.tflops,
                        color: Rgb(120, 60, 160),
                        label,
                    });
                }
            }
        }
        let mut out: Vec<Level> = peaks
            .into_iter()
            .map(|(value, names)| Level {
                value,
                color: Rgb::RED,
                label: format!("rated peak {}: {}", names.join(", "), tflops(value)),
            })
            .collect();
        out.extend(refs);
        out
    }
}

/// The frame of the size chart: x as `x_axis` says, y the rates and the levels drawn.
fn size_frame(x: (String, Vec<f64>), series: &[Series], levels: &[Level]) -> FrameSpec {
    let mut ys: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().flat_map(|p| [p.median, p.low, p.high]))
        .collect();
    ys.extend(levels.iter().map(|l| l.value));
    let y_axis = Axis::for_values(&ys, true);
    let mut legend: Vec<(Mark, String)> = series
        .iter()
        .enumerate()
        .map(|(i, s)| (Mark::Dot(color(i)), s.name.clone()))
        .collect();
    legend.extend(levels.iter().map(|l| {
        let mark = Mark::Line {
            color: l.color,
            dashed: true,
        };
        (mark, l.label.clone())
    }));
    let log = if y_axis.is_log() { " (log scale)" } else { "" };
    FrameSpec {
        title: "TFLOP/s against problem size".into(),
        x: AxisSpec {
            axis: Axis::for_values(&x.1, false),
            title: x.0,
            label,
        },
        y: AxisSpec {
            title: format!("median TFLOP/s{log}"),
            axis: y_axis,
            label,
        },
        legend,
    }
}

/// Each series' points with their interquartile whiskers, joined where `joined`.
fn draw_series(scene: &mut Scene, frame: &mut Frame, series: &[Series], joined: bool) {
    for (i, s) in series.iter().enumerate() {
        let c = color(i);
        if joined && s.points.len() > 1 {
            let line = s.points.iter().map(|p| frame.px(p.x, p.median)).collect();
            scene.line(line, c, 2.0, false);
        }
        for p in &s.points {
            let at = frame.px(p.x, p.median);
            scene.line(
                vec![frame.px(p.x, p.low), frame.px(p.x, p.high)],
                c,
                1.5,
                false,
            );
            for shape in Mark::Dot(c).shapes(at.0, at.1, 0.0) {
                scene.add(shape);
            }
            frame.occupy(at, 5.0);
            scene.hovers.push(Hover {
                x: at.0,
                y: at.1,
                r: 7.0,
                title: p.hover.clone(),
            });
        }
    }
}

impl Chart for SizeChart<'_> {
    fn scene(&self, size: (u32, u32)) -> Result<Scene, String> {
        let runs: Vec<&Run> = self.runs().into_iter().map(|(_, r)| r).collect();
        if runs.is_empty() {
            return Err("no verified results of a size sweep to chart".into());
        }
        let (x_title, x, joined) = x_axis(&runs);
        let series = self.series(x);
        let levels = self.levels();
        let xs: Vec<f64> = runs.iter().map(|r| x(r)).collect();
        let spec = size_frame((x_title, xs), &series, &levels);
        let mut scene = Scene::new(size);
        let mut frame = Frame::draw(&mut scene, &spec);
        for l in &levels {
            let y = frame.y_px(l.value);
            scene.line(
                vec![(frame.plot.x0, y), (frame.plot.x1, y)],
                l.color,
                2.0,
                true,
            );
        }
        draw_series(&mut scene, &mut frame, &series, joined);
        Ok(scene)
    }
}

/// One bar: its label, value, colour, and a note drawn after the value.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub color: Rgb,
    pub note: Option<String>,
}

/// What a bar chart's values are, which says how each is written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Values {
    Tflops,
    /// Fractions, shown as percentages.
    Percent,
    /// Whole numbers of things (a histogram's devices).
    Count,
}

impl Values {
    /// A bar's value as its end and its hover say it, with the unit the hover adds.
    fn write(self, v: f64) -> (String, &'static str) {
        match self {
            Values::Tflops => (tflops(v), " TFLOP/s"),
            Values::Percent => (percent(v), ""),
            Values::Count => (format!("{v:.0}"), ""),
        }
    }
}

/// Horizontal bars, each labelled above, with its value at its end, against labelled levels.
pub struct BarChart {
    pub title: String,
    pub axis: String,
    pub values: Values,
    pub bars: Vec<Bar>,
    levels: Vec<Level>,
}

const BAR_ROW: f64 = 40.0;

impl BarChart {
    /// Best utilization per device, dtype and kernel, against the 100% rated line.
    pub fn utilization(rows: &[Row]) -> BarChart {
        let multi = rows.iter().any(|r| r.file != rows[0].file);
        BarChart {
            title: "Best utilization of the rated dense peak".into(),
            axis: "best TFLOP/s / rated dense peak".into(),
            values: Values::Percent,
            bars: rows
                .iter()
                .filter_map(|r| {
                    let u = r.best_utilization?;
                    let file = if multi {
                        format!("{} ", r.file)
                    } else {
                        String::new()
                    };
                    Some(Bar {
                        label: format!(
                            "{file}{} {} {} ({})",
                            r.device, r.kernel, r.dtype, r.best_shape
                        ),
                        value: u,
                        color: if u > 1.0 { Rgb::RED } else { color(0) },
                        note: (u > 1.0).then(|| "(!) above the peak".to_string()),
                    })
                })
                .collect(),
            levels: vec![Level {
                value: 1.0,
                color: Rgb::RED,
                label: "rated peak (100%)".into(),
            }],
        }
    }

    /// Best TFLOP/s of each GPU of a multi-GPU file for one kernel and dtype, with the
    /// median, and for a merged cluster file the straggler threshold and the stragglers.
    pub fn per_gpu(rows: &[Row], source: &Source, title: String) -> BarChart {
        let doc = &source.results;
        let mut values: Vec<f64> = rows
            .iter()
            .map(|r| r.best_tflops)
            .filter(|v| v.is_finite())
            .collect();
        values.sort_by(f64::total_cmp);
        let median = crate::measure::stats::quantile(&values, 0.5);
        let threshold = doc.cluster.as_ref().map(|c| c.straggler_threshold);
        // Device ids are unique in a file ("host/cuda:0" in a merged one).
        let straggler = |r: &Row| {
            doc.stragglers
                .iter()
                .flatten()
                .find(|g| g.device == r.device && g.dtype == r.dtype)
        };
        let bars = rows
            .iter()
            .filter(|r| r.best_tflops.is_finite())
            .map(|r| {
                let s = straggler(r);
                Bar {
                    // A merged file's ids already name the host.
                    label: if r.device.contains('/') {
                        r.device.clone()
                    } else {
                        format!("{} {}", r.host, r.device)
                    },
                    value: r.best_tflops,
                    color: if s.is_some() { Rgb::RED } else { color(0) },
                    note: s
                        .map(|g| format!("straggler: {} below the median", percent(g.shortfall))),
                }
            })
            .collect();
        BarChart::against_median(title, bars, median, threshold)
    }

    /// Each device's best rate against the median and the straggler threshold below it.
    pub fn against_median(
        title: String,
        bars: Vec<Bar>,
        median: f64,
        threshold: Option<f64>,
    ) -> BarChart {
        let mut levels = vec![Level {
            value: median,
            color: Rgb::GREY,
            label: format!("median {}", tflops(median)),
        }];
        if let Some(t) = threshold {
            levels.push(Level {
                value: median * (1.0 - t),
                color: Rgb(230, 120, 20),
                label: format!(
                    "straggler below {} ({} under the median)",
                    tflops(median * (1.0 - t)),
                    percent(t)
                ),
            });
        }
        BarChart {
            title,
            axis: "best median TFLOP/s".into(),
            values: Values::Tflops,
            bars,
            levels,
        }
    }

    /// Bars of counts with no line across them (a histogram).
    pub fn counts(title: String, axis: String, bars: Vec<Bar>) -> BarChart {
        BarChart {
            title,
            axis,
            values: Values::Count,
            bars,
            levels: Vec::new(),
        }
    }

    /// A model's measured GEMMs at their best rate, against the FLOP-weighted rate.
    pub fn model(doc: &Results) -> Option<BarChart> {
        let m = doc.model.as_ref()?;
        let w = m.weighted.first()?;
        let bars: Vec<Bar> = m
            .gemms
            .iter()
            .filter(|g| g.measured)
            .filter_map(|g| {
                let best = crate::results::best::fastest(doc.runs.iter().filter(|x| {
                    x.device == w.device && x.dtype == w.dtype && (x.m, x.n, x.k) == (g.m, g.n, g.k)
                }))?;
                Some(Bar {
                    label: format!(
                        "{} {} {}x{}x{} ({} of the FLOP)",
                        g.role,
                        g.pass,
                        g.m,
                        g.n,
                        g.k,
                        percent(g.flop_share)
                    ),
                    value: best.tflops.median,
                    color: color(0),
                    note: None,
                })
            })
            .collect();
        if bars.is_empty() {
            return None;
        }
        Some(BarChart {
            title: format!(
                "GEMMs of one {} training step on {} {}",
                m.name, w.device, w.dtype
            ),
            axis: "best median TFLOP/s".into(),
            values: Values::Tflops,
            bars,
            levels: w
                .weighted_tflops
                .map(|v| Level {
                    value: v,
                    color: Rgb::RED,
                    label: format!("FLOP-weighted {}", tflops(v)),
                })
                .into_iter()
                .collect(),
        })
    }

    /// The height that gives every bar its row.
    pub fn height(&self) -> u32 {
        let legend_rows = 1 + self.levels.len() as u32 / 2;
        (170 + (BAR_ROW as u32) * self.bars.len() as u32 + 22 * legend_rows)
            .max(crate::charts::MIN_SIZE.1)
    }
}

impl Chart for BarChart {
    fn scene(&self, size: (u32, u32)) -> Result<Scene, String> {
        if self.bars.is_empty() {
            return Err("nothing to chart".into());
        }
        let mut values: Vec<f64> = self.bars.iter().map(|b| b.value).collect();
        values.extend(self.levels.iter().map(|l| l.value));
        let max = values
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let x_axis = Axis::linear(0.0, if max > 0.0 { max * 1.12 } else { 1.0 });
        let n = self.bars.len() as f64;
        let spec = FrameSpec {
            title: self.title.clone(),
            x: AxisSpec {
                axis: x_axis,
                title: self.axis.clone(),
                label: if self.values == Values::Percent {
                    percent_label
                } else {
                    label
                },
            },
            y: AxisSpec {
                axis: Axis {
                    scale: Scale::Linear { lo: 0.0, hi: n },
                    ticks: Vec::new(),
                },
                title: String::new(),
                label,
            },
            legend: self
                .levels
                .iter()
                .map(|l| {
                    (
                        Mark::Line {
                            color: l.color,
                            dashed: true,
                        },
                        l.label.clone(),
                    )
                })
                .collect(),
        };
        let mut scene = Scene::new(size);
        let mut frame = Frame::draw(&mut scene, &spec);
        let row_h = (frame.plot.y1 - frame.plot.y0) / n;
        // The values written after the bars keep clear of the levels' lines, drawn on top.
        let levels: Vec<(f64, &Level)> = self
            .levels
            .iter()
            .map(|l| (frame.x_px(l.value), l))
            .collect();
        let (y0, y1) = (frame.plot.y0, frame.plot.y1);
        for (x, _) in &levels {
            frame.taken.push(Rect {
                x0: x - 1.0,
                y0,
                x1: x + 1.0,
                y1,
            });
        }
        for (i, b) in self.bars.iter().enumerate() {
            let top = frame.plot.y0 + row_h * i as f64;
            draw_bar(&mut scene, &mut frame, b, top, row_h, self.values);
        }
        for (x, l) in levels {
            scene.line(vec![(x, y0), (x, y1)], l.color, 2.0, true);
        }
        Ok(scene)
    }
}

/// Where a bar's value may go: after its end, else on the bar (white) at its end or further
/// left, clear of the levels' lines.
fn value_candidates(bar: Rect, shown: &str, color: Rgb) -> Vec<Text> {
    let mid = (bar.y0 + bar.y1) / 2.0;
    let mut out = vec![Text::new(bar.x1 + 6.0, mid, shown, LABEL_PX).color(color)];
    let mut right = bar.x1 - 6.0;
    while right - text::width(shown, LABEL_PX, false) >= bar.x0 + 2.0 {
        out.push(
            Text::new(right, mid, shown, LABEL_PX)
                .anchor(Anchor::End)
                .color(Rgb::WHITE),
        );
        right -= 20.0;
    }
    out
}

/// One bar in its row: the label above, the bar, the value (and note) where it fits.
fn draw_bar(scene: &mut Scene, frame: &mut Frame, b: &Bar, top: f64, row_h: f64, kind: Values) {
    let label_y = top + text::height(LABEL_PX) / 2.0 + 2.0;
    let (y0, y1) = (top + text::height(LABEL_PX) + 5.0, top + row_h - 4.0);
    let bar = Rect {
        x0: frame.plot.x0,
        y0,
        x1: frame.x_px(b.value.max(0.0)),
        y1: y1.max(y0 + 6.0),
    };
    scene.add(Shape::Rect {
        rect: bar,
        fill: Some(b.color),
        stroke: None,
    });
    frame.put(
        scene,
        Text::new(bar.x0 + 4.0, label_y, b.label.clone(), LABEL_PX),
    );
    let (value, unit) = kind.write(b.value);
    let shown = match &b.note {
        Some(n) => format!("{value} {n}"),
        None => value.clone(),
    };
    let candidates = value_candidates(bar, &shown, b.color);
    let fallback = candidates.last().cloned();
    if !frame.place(scene, candidates) {
        scene.text(fallback.expect("at least the place after the bar"));
    }
    frame.taken.push(bar);
    scene.hovers.push(Hover {
        x: (bar.x0 + bar.x1) / 2.0,
        y: (bar.y0 + bar.y1) / 2.0,
        r: ((bar.y1 - bar.y0) / 2.0).max(6.0),
        title: format!("{}: {value}{unit}", b.label),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::summary::{rows, Source};

    fn dev_vm() -> Vec<Source> {
        vec![Source::new(
            std::path::Path::new("dev-vm.json"),
            crate::report::fixtures::dev_vm(),
        )]
    }

    fn assert_readable(scene: &Scene) {
        let texts = scene.text_bounds();
        for (i, (t, b, px)) in texts.iter().enumerate() {
            assert!(*px >= 13.0, "{t}");
            assert!(b.inside(&scene.canvas()), "{t} leaves the canvas: {b:?}");
            for (u, c, _) in &texts[i + 1..] {
                assert!(!b.overlaps(c), "{t} overlaps {u}");
            }
        }
    }

    #[test]
    fn the_size_chart_overlays_every_series_with_the_peaks() {
        let sources = dev_vm();
        let scene = SizeChart { sources: &sources }
            .scene(crate::charts::SIZE)
            .unwrap();
        assert_readable(&scene);
        let texts: Vec<String> = scene.text_bounds().into_iter().map(|t| t.0).collect();
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("rated peak") && t.ends_with("cpu:0 f32: 0.5477")),
            "{texts:?}"
        );
        assert!(
            texts.iter().any(|t| t == "rated peak cpu:0 f64: 0.2739"),
            "{texts:?}"
        );
        assert!(texts.iter().any(|t| t == "cpu:0 faer f32"));
        assert_eq!(scene.hovers.len(), 14);
        // 0.0015 to 0.55 TFLOP/s: a log axis with plain ticks.
        assert!(texts.iter().any(|t| t == "median TFLOP/s (log scale)"));
        assert!(
            texts.iter().any(|t| t == "0.01") && texts.iter().any(|t| t == "0.2"),
            "{texts:?}"
        );
    }

    #[test]
    fn bars_are_readable_and_marked() {
        let sources = dev_vm();
        let mut rs = rows(&sources);
        rs[0].best_utilization = Some(1.2);
        let util = BarChart::utilization(&rs);
        let scene = util.scene((960, util.height())).unwrap();
        assert_readable(&scene);
        let texts: Vec<String> = scene.text_bounds().into_iter().map(|t| t.0).collect();
        assert!(
            texts.iter().any(|t| t == "120.0% (!) above the peak"),
            "{texts:?}"
        );
        assert!(texts.iter().any(|t| t == "rated peak (100%)"));
    }
}
