//! The AI-and-Compute chart: compute (log scale) against date, each era's fit line over its runs,
//! derived and reported runs marked apart, the user's runs in red, and the landmark runs named
//! where a label fits without touching another (every run's name and value on hover).
//! Ranges are finite and bounded whatever the data.

use std::ops::Range;

use super::axis::{label, Axis};
use super::frame::{around, AxisSpec, Frame, FrameSpec, Mark, LABEL_PX};
use super::scene::{Hover, Rgb, Scene};
use super::Chart;
use crate::trend::data::{Basis, Point};
use crate::trend::eras::eras;
use crate::trend::fit::Fit;
use crate::trend::view::{EraFit, TrendView};

pub struct TrendChart<'a> {
    pub view: &'a TrendView,
}

const BLUE: Rgb = Rgb(31, 119, 180);
const ORANGE: Rgb = Rgb(230, 120, 20);
/// One colour per era's fit line, in the order of the eras.
const FIT_COLOURS: [Rgb; 3] = [Rgb(90, 90, 90), Rgb(44, 140, 44), Rgb(148, 103, 189)];
/// Decades the y axis may span: 1e-20 to 1e20 pfs-days.
const DECADES: Range<f64> = -20.0..20.0;

/// The smallest and largest finite value, if there is one.
fn bounds(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((v.min(lo), v.max(hi))),
        })
}

/// Years on the x axis: the runs' span, within 1950-2101.
fn x_range(points: &[Point]) -> Range<f64> {
    let Some((lo, hi)) = bounds(points.iter().map(|p| p.year)) else {
        return 2012.0..2026.0;
    };
    let lo = lo.floor().clamp(1949.0, 2100.0);
    let hi = (hi.ceil()).clamp(lo + 1.0, 2102.0);
    lo..hi
}

/// pfs-days on the y axis: the runs' span, bounded.
fn y_range(points: &[Point]) -> Range<f64> {
    let Some((lo, hi)) = bounds(points.iter().map(|p| p.pfs_days.log10())) else {
        return 1e-3..1e7;
    };
    let lo = lo.clamp(DECADES.start, DECADES.end - 1.0);
    let hi = hi.clamp(lo, DECADES.end);
    10f64.powf(lo)..10f64.powf(hi)
}

/// The span of an era's fitted runs, in years.
fn fitted_span(f: &EraFit, points: &[Point]) -> Option<(f64, f64)> {
    let years = points
        .iter()
        .filter(|p| !p.user && p.era == Some(f.era.as_str()))
        .map(|p| p.year);
    bounds(years).filter(|(lo, hi)| lo < hi)
}

fn title(v: &TrendView) -> String {
    let parts: Vec<String> = v
        .fits
        .iter()
        .filter_map(|f| {
            let fit = f.fit.as_ref()?;
            Some(format!("{:.1} months ({})", fit.doubling_months, f.era))
        })
        .collect();
    if parts.is_empty() {
        "Training compute (not enough runs to fit)".into()
    } else {
        format!("Compute doubling time: {}", parts.join(", "))
    }
}

/// The fit line over `[x0, x1]`, cut to where it stays inside the y range: a straight segment
/// on the log axis, so two points.
fn fit_segment(fit: &Fit, (x0, x1): (f64, f64), y: &Range<f64>) -> Option<[(f64, f64); 2]> {
    let at = |x: f64| 2f64.powf(fit.intercept + fit.slope_per_year * x);
    let (mut lo, mut hi) = (x0, x1);
    if fit.slope_per_year != 0.0 {
        let cross = |v: f64| (v.log2() - fit.intercept) / fit.slope_per_year;
        let (a, b) = (cross(y.start), cross(y.end));
        lo = lo.max(a.min(b));
        hi = hi.min(a.max(b));
    }
    let inside = lo < hi && y.contains(&at((lo + hi) / 2.0));
    inside.then(|| [(lo, at(lo)), (hi, at(hi))])
}

fn fit_colour(f: &EraFit) -> Rgb {
    let i = eras().iter().position(|e| e.id == f.era).unwrap_or(0);
    FIT_COLOURS[i % FIT_COLOURS.len()]
}

fn legend(v: &TrendView) -> Vec<(Mark, String)> {
    let mut l: Vec<(Mark, String)> = v
        .fits
        .iter()
        .filter_map(|f| {
            let fit = f.fit.as_ref()?;
            Some((
                Mark::Line {
                    color: fit_colour(f),
                    dashed: false,
                },
                format!(
                    "{} fit: {:.2} months ({}: {})",
                    f.era, fit.doubling_months, f.published.by, f.published.figure
                ),
            ))
        })
        .collect();
    l.push((Mark::Dot(BLUE), "derived here from published inputs".into()));
    l.push((
        Mark::Ring(ORANGE),
        "reported totals (paper, AI and Compute, Epoch AI)".into(),
    ));
    if v.points.iter().any(|p| p.user) {
        l.push((Mark::Triangle(Rgb::RED), "your runs (--add)".into()));
    }
    l
}

fn mark(p: &Point) -> Mark {
    match (p.user, p.basis) {
        (true, _) => Mark::Triangle(Rgb::RED),
        (false, Basis::Derived) => Mark::Dot(BLUE),
        (false, Basis::Reported) => Mark::Ring(ORANGE),
    }
}

fn draw_fits(scene: &mut Scene, frame: &Frame, v: &TrendView, y: &Range<f64>) {
    for f in &v.fits {
        let Some(fit) = &f.fit else { continue };
        let Some(line) = fitted_span(f, &v.points).and_then(|s| fit_segment(fit, s, y)) else {
            continue;
        };
        let pts = line.iter().map(|(x, y)| frame.px(*x, *y)).collect();
        scene.line(pts, fit_colour(f), 2.0, false);
    }
}

/// Every run's mark, with its name, date and value on hover.
fn draw_points(scene: &mut Scene, frame: &mut Frame, v: &TrendView) {
    for p in &v.points {
        let at = frame.px(p.year, p.pfs_days);
        for s in mark(p).shapes(at.0, at.1, 0.0) {
            scene.add(s);
        }
        frame.occupy(at, 5.0);
        scene.hovers.push(Hover {
            x: at.0,
            y: at.1,
            r: 7.0,
            title: format!(
                "{} ({}): {} pfs-days",
                p.name,
                p.date,
                crate::output::numbers::sig(p.pfs_days)
            ),
        });
    }
}

/// Names of the user's runs first, then the landmarks, each where it fits.
fn draw_labels(scene: &mut Scene, frame: &mut Frame, v: &TrendView) {
    let user = v.points.iter().filter(|p| p.user);
    let landmarks = v.points.iter().filter(|p| !p.user && p.landmark);
    for p in user.chain(landmarks) {
        let colour = if p.user { Rgb::RED } else { Rgb::BLACK };
        let at = frame.px(p.year, p.pfs_days);
        frame.place(scene, around(at, &p.name, LABEL_PX, colour));
    }
}

impl Chart for TrendChart<'_> {
    fn scene(&self, size: (u32, u32)) -> Result<Scene, String> {
        let v = self.view;
        let x = x_range(&v.points);
        let y = y_range(&v.points);
        let y_axis = Axis::log(y.start, y.end);
        let spec = FrameSpec {
            title: title(v),
            x: AxisSpec {
                axis: Axis::years(x.start, x.end),
                title: "publication date".into(),
                label,
            },
            y: AxisSpec {
                axis: y_axis.clone(),
                title: "petaflop/s-days (log scale)".into(),
                label,
            },
            legend: legend(v),
        };
        let mut scene = Scene::new(size);
        let mut frame = Frame::draw(&mut scene, &spec);
        let (lo, hi) = y_axis.bounds();
        draw_fits(&mut scene, &frame, v, &(lo..hi));
        draw_points(&mut scene, &mut frame, v);
        draw_labels(&mut scene, &mut frame, v);
        Ok(scene)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trend::view::view;
    use crate::trend::window::{parse_added, Window};

    #[test]
    fn ranges_are_finite_and_bounded_whatever_the_points() {
        let extreme = vec![
            parse_added("tiny=1e-15@1950-01-01").unwrap(),
            parse_added("huge=1e15@2100-12-31").unwrap(),
        ];
        let x = x_range(&extreme);
        let y = y_range(&extreme);
        assert!(x.start >= 1949.0 && x.end <= 2102.0 && x.start < x.end);
        assert!(y.start > 0.0 && y.end.is_finite() && y.start < y.end);
        assert_eq!(x_range(&[]), 2012.0..2026.0);
        assert!(y_range(&[]).start > 0.0);
    }

    #[test]
    fn fit_lines_are_cut_to_the_chart() {
        let doubling_yearly = Fit {
            slope_per_year: 1.0,
            intercept: -2012.0,
            doubling_months: 12.0,
            doubling_months_ci: [10.0, 14.0],
            growth_per_year: 2.0,
            growth_factor: 1024.0,
            points: 10,
            r_squared: 1.0,
        };
        // y = 2^(x - 2012): 1 at 2012, 1024 at 2022; the chart shows 1 to 32 only.
        let [a, b] = fit_segment(&doubling_yearly, (2010.0, 2022.0), &(1.0..32.0)).unwrap();
        assert!(
            (a.0 - 2012.0).abs() < 1e-9 && (b.0 - 2017.0).abs() < 1e-9,
            "{a:?} {b:?}"
        );
        assert!(fit_segment(&doubling_yearly, (2030.0, 2031.0), &(1.0..32.0)).is_none());
    }

    #[test]
    fn labels_never_overlap_or_leave_the_canvas() {
        let mine = parse_added("my run=300@2024-06-01").unwrap();
        for since in [1950, 2012] {
            let w = Window {
                since: Some(since),
                until: None,
            };
            let v = view(w, vec![mine.clone()]);
            for size in [crate::charts::SIZE, (640, 420), (1600, 900)] {
                let scene = TrendChart { view: &v }.scene(size).unwrap();
                let texts = scene.text_bounds();
                for (i, (t, b, px)) in texts.iter().enumerate() {
                    assert!(*px >= 13.0);
                    assert!(b.inside(&scene.canvas()), "{t} leaves {size:?}: {b:?}");
                    for (u, c, _) in &texts[i + 1..] {
                        assert!(!b.overlaps(c), "{t} overlaps {u}");
                    }
                }
                assert!(
                    texts.iter().any(|(t, _, _)| t == "my run"),
                    "the user's run is named"
                );
                assert_eq!(scene.hovers.len(), v.points.len());
            }
        }
    }
}
