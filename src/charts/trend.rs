//! The AI-and-Compute chart: compute (log scale) against date, runs labelled, the fit line, and
//! the user's own estimates highlighted.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::Chart;
use crate::trend::data::Point;
use crate::trend::fit::Fit;

pub struct TrendChart<'a> {
    pub points: &'a [Point],
    pub fit: &'a Fit,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl Chart for TrendChart<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let x0 = self
            .points
            .iter()
            .map(|p| p.year)
            .fold(f64::INFINITY, f64::min)
            .floor()
            - 0.5;
        let x1 = self
            .points
            .iter()
            .map(|p| p.year)
            .fold(f64::NEG_INFINITY, f64::max)
            .ceil()
            + 0.5;
        let ymin = self
            .points
            .iter()
            .map(|p| p.pfs_days)
            .fold(f64::INFINITY, f64::min);
        let ymax = self
            .points
            .iter()
            .map(|p| p.pfs_days)
            .fold(f64::NEG_INFINITY, f64::max);
        let (y0, y1) = (
            10f64.powf(ymin.log10().floor() - 0.5),
            10f64.powf(ymax.log10().ceil() + 0.5),
        );
        let title = format!(
            "Training compute of landmark runs: doubling every {:.1} months",
            self.fit.doubling_months
        );
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("publication date")
            .y_desc("petaflop/s-days (log scale)")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0e}"))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        let fit = self.fit;
        let line = (0..=100).map(|i| {
            let x = x0 + (x1 - x0) * i as f64 / 100.0;
            (x, 2f64.powf(fit.intercept + fit.slope_per_year * x))
        });
        chart
            .draw_series(LineSeries::new(
                line.filter(|(_, y)| *y >= y0 && *y <= y1),
                ShapeStyle::from(&RGBColor(120, 120, 120)).stroke_width(2),
            ))
            .map_err(err)?
            .label(format!(
                "OLS fit: x{:.1} a year",
                2f64.powf(fit.slope_per_year)
            ))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RGBColor(120, 120, 120)));
        let blue = RGBColor(31, 119, 180);
        let red = RGBColor(214, 39, 40);
        chart
            .draw_series(self.points.iter().filter(|p| !p.user).map(|p| {
                EmptyElement::at((p.year, p.pfs_days))
                    + Circle::new((0, 0), 5, blue.filled())
                    + Text::new(p.name.clone(), (7, -7), ("sans-serif", 12))
            }))
            .map_err(err)?
            .label("landmark runs (computed from their inputs)")
            .legend(move |(x, y)| Circle::new((x + 10, y), 5, blue.filled()));
        if self.points.iter().any(|p| p.user) {
            chart
                .draw_series(self.points.iter().filter(|p| p.user).map(|p| {
                    EmptyElement::at((p.year, p.pfs_days))
                        + TriangleMarker::new((0, 0), 9, red.filled())
                        + Text::new(
                            p.name.clone(),
                            (9, 4),
                            ("sans-serif", 14).into_font().color(&red),
                        )
                }))
                .map_err(err)?
                .label("your estimates")
                .legend(move |(x, y)| TriangleMarker::new((x + 10, y), 7, red.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        Ok(())
    }
}
