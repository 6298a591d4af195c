//! Charts of a report: TFLOP/s against problem size, utilization against the rated peak, and
//! TFLOP/s per GPU for files with several GPUs of one kind.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::summary::{Row, Source};
use crate::charts::Chart;
use crate::results::best::is_verified;
use crate::results::Run;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn color(i: usize) -> RGBColor {
    const C: [(u8, u8, u8); 10] = [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
    ];
    let (r, g, b) = C[i % C.len()];
    RGBColor(r, g, b)
}

/// TFLOP/s against problem size (cube root of m n k), one line per device, kernel and dtype;
/// against the swept dimension when only one of m, n, k varies (a range bench).
pub struct SizeChart<'a> {
    pub source: &'a Source,
}

/// The x axis: its name and a run's value on it.
type Axis = (String, fn(&Run) -> f64);

/// The one dimension that varies among the runs while the others stay fixed, if any.
fn swept(runs: &[&Run]) -> Option<Axis> {
    let distinct = |f: fn(&Run) -> usize| {
        let mut v: Vec<usize> = runs.iter().map(|r| f(r)).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let (m, n, k) = (distinct(|r| r.m), distinct(|r| r.n), distinct(|r| r.k));
    match (m.len(), n.len(), k.len()) {
        (2.., 1, 1) => Some((format!("m (n = {}, k = {})", n[0], k[0]), |r| r.m as f64)),
        (1, 2.., 1) => Some((format!("n (m = {}, k = {})", m[0], k[0]), |r| r.n as f64)),
        (1, 1, 2..) => Some((format!("k (m = {}, n = {})", m[0], n[0]), |r| r.k as f64)),
        _ => None,
    }
}

impl Chart for SizeChart<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let runs: Vec<_> = self
            .source
            .results
            .runs
            .iter()
            .filter(|r| is_verified(r))
            .collect();
        if runs.is_empty() {
            return Err("no verified results to chart".into());
        }
        let (x_desc, size): Axis = swept(&runs).unwrap_or_else(|| {
            ("size: (m n k)^(1/3)".into(), |r| {
                (r.m as f64 * r.n as f64 * r.k as f64).cbrt()
            })
        });
        let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, 0.0f64, f64::INFINITY, 0.0f64);
        for r in &runs {
            x0 = x0.min(size(r));
            x1 = x1.max(size(r));
            y0 = y0.min(r.tflops.median);
            y1 = y1.max(r.tflops.median);
        }
        // Keep at least a factor of 4 on each axis so a single size still gets tick labels,
        // and never an empty or endless range on a log axis.
        let widen = |lo: f64, hi: f64| {
            let (lo, hi) = crate::charts::log_range(lo, hi);
            let pad = (4.0 / (hi / lo)).sqrt().max(1.3);
            (lo / pad, hi * pad)
        };
        let ((x0, x1), (y0, y1)) = (widen(x0, x1), widen(y0, y1));
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("TFLOP/s against problem size: {}", self.source.label),
                ("sans-serif", 20),
            )
            .margin(14)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc("median TFLOP/s (log)")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.2e}"))
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(err)?;
        let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        for r in &runs {
            let name = format!("{} {} {}", r.device, r.kernel, r.dtype);
            match series.iter_mut().find(|(n, _)| *n == name) {
                Some((_, pts)) => pts.push((size(r), r.tflops.median)),
                None => series.push((name, vec![(size(r), r.tflops.median)])),
            }
        }
        for (i, (name, mut pts)) in series.into_iter().enumerate() {
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let c = color(i);
            chart
                .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
                .map_err(err)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
            chart
                .draw_series(pts.into_iter().map(|p| Circle::new(p, 4, c.filled())))
                .map_err(err)?;
        }
        crate::charts::draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        Ok(())
    }
}

/// Horizontal bars: `value(row)` for each row, labelled, against `limit` (1.0 = 100%).
pub struct BarChart {
    pub title: String,
    pub axis: String,
    pub rows: Vec<(String, f64)>,
    pub limit: Option<f64>,
}

impl BarChart {
    /// Best utilization per device, dtype and kernel, against the 100% rated line.
    pub fn utilization(rows: &[Row]) -> BarChart {
        BarChart {
            title: "Best utilization of the rated dense peak".into(),
            axis: "median TFLOP/s / rated peak".into(),
            rows: rows
                .iter()
                .filter_map(|r| {
                    r.best_utilization.map(|u| {
                        (
                            format!(
                                "{} {} {} {} ({})",
                                r.file, r.device, r.kernel, r.dtype, r.best_shape
                            ),
                            u,
                        )
                    })
                })
                .collect(),
            limit: Some(1.0),
        }
    }

    /// Best TFLOP/s of each GPU of a multi-GPU file, for one kernel and dtype.
    pub fn per_gpu(rows: &[Row], title: String) -> BarChart {
        BarChart {
            title,
            axis: "best median TFLOP/s".into(),
            rows: rows
                .iter()
                .filter(|r| r.best_tflops.is_finite())
                .map(|r| (format!("{} {}", r.host, r.device), r.best_tflops))
                .collect(),
            limit: None,
        }
    }

    pub fn height(&self) -> u32 {
        120 + 28 * self.rows.len() as u32
    }
}

impl Chart for BarChart {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        if self.rows.is_empty() {
            return Err("nothing to chart".into());
        }
        let max = self
            .rows
            .iter()
            .map(|r| r.1)
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max);
        let xmax = self.limit.map_or(max, |l| l.max(max)) * 1.15;
        // An empty or endless axis never finishes its ticks.
        let xmax = if xmax.is_finite() && xmax > 0.0 {
            xmax
        } else {
            1.0
        };
        let n = self.rows.len() as f64;
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 20))
            .margin(14)
            .x_label_area_size(36)
            .y_label_area_size(10)
            .build_cartesian_2d(0.0..xmax, 0.0..n)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc(self.axis.as_str())
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(err)?;
        for (i, (label, v)) in self.rows.iter().enumerate() {
            let y = n - i as f64 - 1.0;
            let over = self.limit.is_some_and(|l| *v > l);
            let c = if over {
                RGBColor(214, 39, 40)
            } else {
                color(0)
            };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y + 0.15), (*v, y + 0.85)],
                    c.mix(0.8).filled(),
                )))
                .map_err(err)?;
            let text = match self.limit {
                Some(_) => format!("{label}: {:.1}%", v * 100.0),
                None => format!("{label}: {v:.3}"),
            };
            chart
                .draw_series(std::iter::once(Text::new(
                    text,
                    (xmax * 0.01, y + 0.5),
                    ("sans-serif", 12).into_font().color(&BLACK),
                )))
                .map_err(err)?;
        }
        if let Some(l) = self.limit {
            chart
                .draw_series(LineSeries::new(vec![(l, 0.0), (l, n)], RED.stroke_width(2)))
                .map_err(err)?
                .label("rated peak (100%)")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], RED.stroke_width(2)));
            crate::charts::draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    }
}
