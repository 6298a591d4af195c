//! What `trend` shows: the runs in a window, each era's fit of its own runs beside the figure
//! published for it, the published growth factors checked against the data, and the user's runs
//! placed against the fits. One typed result, rendered as JSON, as text and as a chart.

use serde::Serialize;

use super::data::{bundled_runs, Point};
use super::eras::{eras, Era, Published};
use super::fit::{fit, Fit};
use super::window::Window;

/// One era's fit over the runs of the window that fall in it.
#[derive(Debug, Clone, Serialize)]
pub struct EraFit {
    pub era: String,
    pub label: String,
    /// The era's first and last day, YYYY-MM-DD.
    pub from: String,
    pub until: String,
    /// Bundled runs of the era inside the window.
    pub runs: usize,
    /// None when there are too few runs; `not_fitted` says why.
    pub fit: Option<Fit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_fitted: Option<String>,
    pub published: Published,
}

/// A published growth factor between two runs, against the same ratio in the data.
#[derive(Debug, Clone, Serialize)]
pub struct HeadlineCheck {
    pub era: String,
    pub from: String,
    pub to: String,
    /// pfs-days of `to` over pfs-days of `from`, as bundled.
    pub factor: f64,
    pub published_factor: f64,
    pub published_by: String,
}

/// An added run the window leaves out.
#[derive(Debug, Clone, Serialize)]
pub struct LeftOut {
    pub name: String,
    pub date: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrendView {
    pub window: Window,
    /// One per era the window reaches, oldest first.
    pub fits: Vec<EraFit>,
    pub headlines: Vec<HeadlineCheck>,
    /// Bundled and added runs in the window, oldest first.
    pub points: Vec<Point>,
    /// Added runs outside the window: not shown.
    pub outside_window: Vec<LeftOut>,
}

fn era_fit(era: &Era, points: &[Point]) -> EraFit {
    let (xs, ys): (Vec<f64>, Vec<f64>) = points
        .iter()
        .filter(|p| !p.user && p.era == Some(era.id.as_str()))
        .map(|p| (p.year, p.pfs_days))
        .unzip();
    let result = fit(&xs, &ys);
    EraFit {
        era: era.id.clone(),
        label: era.label.clone(),
        from: era.from.clone(),
        until: era.until.clone(),
        runs: xs.len(),
        not_fitted: result.as_ref().err().map(ToString::to_string),
        fit: result.ok(),
        published: era.published.clone(),
    }
}

fn headline(era: &Era, points: &[Point]) -> Option<HeadlineCheck> {
    let h = era.headline.as_ref()?;
    let run = |name: &str| points.iter().find(|p| !p.user && p.name == name);
    let (from, to) = (run(&h.from)?, run(&h.to)?);
    Some(HeadlineCheck {
        era: era.id.clone(),
        from: h.from.clone(),
        to: h.to.clone(),
        factor: to.pfs_days / from.pfs_days,
        published_factor: h.factor,
        published_by: era.published.by.clone(),
    })
}

/// The view of `runs` (bundled first, then added) in `window`.
pub fn view_of(runs: Vec<Point>, window: Window) -> TrendView {
    let (mut points, outside): (Vec<Point>, Vec<Point>) =
        runs.into_iter().partition(|p| window.contains(p));
    points.sort_by(|a, b| a.year.total_cmp(&b.year));
    let (since, until) = window.years();
    let reached: Vec<&Era> = eras()
        .iter()
        .filter(|e| e.overlaps_years(since, until))
        .collect();
    TrendView {
        window,
        fits: reached.iter().map(|e| era_fit(e, &points)).collect(),
        headlines: reached
            .iter()
            .filter_map(|e| headline(e, &points))
            .collect(),
        outside_window: outside
            .into_iter()
            .filter(|p| p.user)
            .map(|p| LeftOut {
                name: p.name,
                date: p.date,
            })
            .collect(),
        points,
    }
}

/// The bundled runs and the user's in `window`.
pub fn view(window: Window, added: Vec<Point>) -> TrendView {
    let mut runs = bundled_runs().to_vec();
    runs.extend(added);
    view_of(runs, window)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trend::data::Basis;
    use crate::trend::window::parse_added;

    fn window(since: i32, until: Option<i32>) -> Window {
        Window {
            since: Some(since),
            until,
        }
    }

    fn era<'a>(v: &'a TrendView, id: &str) -> &'a EraFit {
        v.fits.iter().find(|f| f.era == id).unwrap()
    }

    #[test]
    fn the_paper_era_reproduces_ai_and_compute() {
        let v = view(window(2012, Some(2018)), vec![]);
        let aic = era(&v, "2012-2018");
        let f = aic.fit.as_ref().unwrap();
        assert_eq!(aic.runs, 15);
        assert!((3.2..3.7).contains(&f.doubling_months), "{f:?}");
        let h = &v.headlines[0];
        assert_eq!(
            (h.from.as_str(), h.to.as_str()),
            ("AlexNet", "AlphaGo Zero")
        );
        assert!((2.5e5..4e5).contains(&h.factor), "{}", h.factor);
        // The window reaches into 2018, whose runs belong to the next era: too few to fit.
        let next = era(&v, "2018-now");
        assert!(next.fit.is_none() && next.runs < 3);
        assert!(next
            .not_fitted
            .as_ref()
            .unwrap()
            .contains("not enough runs"));
    }

    #[test]
    fn the_default_window_fits_both_eras() {
        let v = view(window(2012, None), vec![]);
        let ids: Vec<_> = v.fits.iter().map(|f| f.era.as_str()).collect();
        assert_eq!(ids, ["2012-2018", "2018-now"]);
        let now = era(&v, "2018-now");
        assert!(now.runs >= 20, "{}", now.runs);
        let months = now.fit.as_ref().unwrap().doubling_months;
        assert!((4.0..7.0).contains(&months), "{months}");
        assert!(v.points.iter().any(|p| p.basis == Basis::Derived));
        assert!(v.points.iter().any(|p| p.basis == Basis::Reported));
    }

    #[test]
    fn added_runs_are_placed_not_fitted_and_those_outside_are_named() {
        let inside = parse_added("mine=1e4@2023-05-01").unwrap();
        let outside = parse_added("old=1@2011-01-01").unwrap();
        let v = view(window(2012, None), vec![inside, outside]);
        let plain = view(window(2012, None), vec![]);
        assert_eq!(v.points.len(), plain.points.len() + 1);
        assert_eq!(era(&v, "2018-now").runs, era(&plain, "2018-now").runs);
        assert_eq!(v.outside_window.len(), 1);
        assert_eq!(v.outside_window[0].name, "old");
    }

    #[test]
    fn an_empty_window_has_nothing_to_fit() {
        let v = view(window(2099, None), vec![]);
        assert!(v.points.is_empty());
        assert!(v
            .fits
            .iter()
            .all(|f| f.fit.is_none() && f.not_fitted.is_some()));
    }
}
