//! The AI-and-Compute chart: compute (log scale) against date, each era's fit line over its runs,
//! derived and reported runs marked apart, landmark runs labelled, the user's runs in red.
//! Ranges are finite and bounded whatever the data, so plotters' log-axis ticks always end.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::Chart;
use crate::trend::data::{Basis, Point};
use crate::trend::eras::eras;
use crate::trend::fit::Fit;
use crate::trend::view::{EraFit, TrendView};

pub struct TrendChart<'a> {
    pub view: &'a TrendView,
}

const BLUE: RGBColor = RGBColor(31, 119, 180);
const ORANGE: RGBColor = RGBColor(230, 120, 20);
const RED: RGBColor = RGBColor(214, 39, 40);
/// One colour per era's fit line, in the order of the eras.
const FIT_COLOURS: [RGBColor; 3] = [
    RGBColor(110, 110, 110),
    RGBColor(44, 140, 44),
    RGBColor(148, 103, 189),
];
/// Decades the y axis may span: 1e-20 to 1e20 pfs-days.
const DECADES: Range<f64> = -20.0..20.0;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The smallest and largest finite value, if there is one.
fn bounds(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((v.min(lo), v.max(hi))),
        })
}

/// Years on the x axis: the runs' span with room for labels, within 1950-2101.
fn x_range(points: &[Point]) -> Range<f64> {
    let Some((lo, hi)) = bounds(points.iter().map(|p| p.year)) else {
        return 2012.0..2026.0;
    };
    let lo = (lo.floor() - 0.5).clamp(1949.0, 2100.0);
    let hi = (hi.ceil() + 1.0).clamp(lo + 1.0, 2102.0);
    lo..hi
}

/// pfs-days on the y axis: whole decades around the runs, half a decade of room, bounded.
fn y_range(points: &[Point]) -> Range<f64> {
    let Some((lo, hi)) = bounds(points.iter().map(|p| p.pfs_days.log10())) else {
        return 1e-3..1e7;
    };
    let lo = (lo.floor() - 0.5).clamp(DECADES.start, DECADES.end - 1.0);
    let hi = (hi.ceil() + 0.5).clamp(lo + 1.0, DECADES.end);
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

type Ctx<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<
        plotters::coord::types::RangedCoordf64,
        plotters::coord::combinators::LogCoord<f64>,
    >,
>;

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

fn draw_fits<DB: DrawingBackend>(ctx: &mut Ctx<'_, DB>, v: &TrendView) -> Result<(), String> {
    let y = ctx.y_range();
    for f in &v.fits {
        let Some(fit) = &f.fit else { continue };
        let Some(line) = fitted_span(f, &v.points).and_then(|s| fit_segment(fit, s, &y)) else {
            continue;
        };
        let i = eras().iter().position(|e| e.id == f.era).unwrap_or(0);
        let colour = FIT_COLOURS[i % FIT_COLOURS.len()];
        let label = format!(
            "{} fit: {:.2} months ({}: {})",
            f.era, fit.doubling_months, f.published.by, f.published.figure
        );
        ctx.draw_series(LineSeries::new(line, colour.stroke_width(2)))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
    }
    Ok(())
}

fn draw_runs<DB: DrawingBackend>(ctx: &mut Ctx<'_, DB>, v: &TrendView) -> Result<(), String> {
    let bundled = |basis: Basis| v.points.iter().filter(move |p| !p.user && p.basis == basis);
    ctx.draw_series(
        bundled(Basis::Derived).map(|p| Circle::new((p.year, p.pfs_days), 5, BLUE.filled())),
    )
    .map_err(err)?
    .label("derived here from published inputs")
    .legend(|(x, y)| Circle::new((x + 10, y), 5, BLUE.filled()));
    ctx.draw_series(
        bundled(Basis::Reported)
            .map(|p| Circle::new((p.year, p.pfs_days), 5, ORANGE.stroke_width(2))),
    )
    .map_err(err)?
    .label("reported totals (paper, AI and Compute, Epoch AI)")
    .legend(|(x, y)| Circle::new((x + 10, y), 5, ORANGE.stroke_width(2)));
    ctx.draw_series(v.points.iter().filter(|p| !p.user && p.landmark).map(|p| {
        EmptyElement::at((p.year, p.pfs_days))
            + Text::new(p.name.clone(), (7, -12), ("sans-serif", 11))
    }))
    .map_err(err)?;
    Ok(())
}

fn draw_added<DB: DrawingBackend>(ctx: &mut Ctx<'_, DB>, v: &TrendView) -> Result<(), String> {
    if !v.points.iter().any(|p| p.user) {
        return Ok(());
    }
    ctx.draw_series(v.points.iter().filter(|p| p.user).map(|p| {
        EmptyElement::at((p.year, p.pfs_days))
            + TriangleMarker::new((0, 0), 9, RED.filled())
            + Text::new(
                p.name.clone(),
                (9, 4),
                ("sans-serif", 14).into_font().color(&RED),
            )
    }))
    .map_err(err)?
    .label("your runs (--add)")
    .legend(|(x, y)| TriangleMarker::new((x + 10, y), 7, RED.filled()));
    Ok(())
}

impl Chart for TrendChart<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let v = self.view;
        let mut ctx = ChartBuilder::on(area)
            .caption(title(v), ("sans-serif", 18))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(x_range(&v.points), y_range(&v.points).log_scale())
            .map_err(err)?;
        ctx.configure_mesh()
            .x_desc("publication date")
            .y_desc("petaflop/s-days (log scale)")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0e}"))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        draw_fits(&mut ctx, v)?;
        draw_runs(&mut ctx, v)?;
        draw_added(&mut ctx, v)?;
        super::draw_legend(&mut ctx, SeriesLabelPosition::UpperLeft)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trend::window::parse_added;

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
}
