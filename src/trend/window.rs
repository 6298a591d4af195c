//! The window of years the chart shows, and the user's own runs (`--add`): what is allowed and
//! what it means. One home for the years a date may have.

use std::ops::RangeInclusive;

use serde::Serialize;

use super::data::{Basis, Point};
use super::date::{fractional_year, parse_date};
use super::eras::era_of;
use chrono::Datelike;

/// Years a window or an added run may have.
pub const YEARS: RangeInclusive<i32> = 1950..=2100;

/// The window starts with AI and Compute's modern era unless told otherwise.
pub const DEFAULT_SINCE: i32 = 2012;

/// Compute an added run may have, pfs-days: wide enough for the perceptron (8e-15) and anything
/// to come, narrow enough that a chart's log axis stays finite.
pub const PFS_DAYS: RangeInclusive<f64> = 1e-15..=1e15;

/// Years shown and fitted, both inclusive; `until` None is "to now".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub since: Option<i32>,
    pub until: Option<i32>,
}

impl Window {
    pub fn contains(&self, p: &Point) -> bool {
        let y = p.year.floor() as i32;
        self.since.is_none_or(|s| y >= s) && self.until.is_none_or(|u| y <= u)
    }

    /// The years as bounds: the first and last year a date may have.
    pub fn years(&self) -> (i32, i32) {
        (
            self.since.unwrap_or(*YEARS.start()),
            self.until.unwrap_or(*YEARS.end()),
        )
    }

    /// "2012-now", "2012-2018", "up to 2018".
    pub fn label(&self) -> String {
        match (self.since, self.until) {
            (Some(s), Some(u)) => format!("{s}-{u}"),
            (Some(s), None) => format!("{s}-now"),
            (None, Some(u)) => format!("up to {u}"),
            (None, None) => "all years".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum YearError {
    #[error("expected a year from {} to {}, such as 2012", YEARS.start(), YEARS.end())]
    NotAYear,
}

/// A year of a window.
pub fn parse_year(s: &str) -> Result<i32, YearError> {
    match s.trim().parse::<i32>() {
        Ok(y) if YEARS.contains(&y) => Ok(y),
        _ => Err(YearError::NotAYear),
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AddError {
    #[error("expected NAME=PFS_DAYS@YYYY-MM-DD, e.g. mymodel=120@2025-06-01")]
    Form,
    #[error("pfs-days must be a number from {:e} to {:e}", PFS_DAYS.start(), PFS_DAYS.end())]
    Compute,
    #[error("the date must be YYYY-MM-DD, a real day")]
    Date,
    #[error("the year {0} is outside {start}-{end}", start = YEARS.start(), end = YEARS.end())]
    Year(i32),
}

/// `NAME=PFS_DAYS@YYYY-MM-DD`, a run of the user's, shown against the fits and never fitted.
pub fn parse_added(s: &str) -> Result<Point, AddError> {
    let (name, rest) = s.rsplit_once('=').ok_or(AddError::Form)?;
    let (value, date) = rest.split_once('@').ok_or(AddError::Form)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(AddError::Form);
    }
    let pfs: f64 = value.trim().parse().map_err(|_| AddError::Compute)?;
    if !PFS_DAYS.contains(&pfs) {
        return Err(AddError::Compute);
    }
    let d = parse_date(date).ok_or(AddError::Date)?;
    if !YEARS.contains(&d.year()) {
        return Err(AddError::Year(d.year()));
    }
    Ok(Point {
        name: name.to_string(),
        date: d.format("%Y-%m-%d").to_string(),
        year: fractional_year(d),
        era: era_of(d),
        pfs_days: pfs,
        basis: Basis::Reported,
        method: None,
        how: None,
        reported_pfs_days: None,
        reported_by: None,
        source: "given with --add".into(),
        landmark: true,
        user: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_points_parse() {
        let p = parse_added("my model=120.5@2025-06-01").unwrap();
        assert_eq!(
            (p.name.as_str(), p.pfs_days, p.user, p.era),
            ("my model", 120.5, true, Some("2018-now"))
        );
        assert!((p.year - 2025.41).abs() < 0.01);
        assert!(parse_added("perceptron=8e-15@1958-01-01").is_ok());
    }

    #[test]
    fn bad_added_points_say_why() {
        use AddError::*;
        for (bad, why) in [
            ("x=1", Form),
            ("x@2020-01-01", Form),
            ("=1@2020-01-01", Form),
            ("x=-1@2020-01-01", Compute),
            ("x=0@2020-01-01", Compute),
            ("x=1e308@2020-01-01", Compute),
            ("x=inf@2020-01-01", Compute),
            ("x=NaN@2020-01-01", Compute),
            ("x=abc@2020-01-01", Compute),
            ("x=1@2020-13-01", Date),
            ("x=1@2020-02-30", Date),
            ("x=1@0020-01-01", Year(20)),
            ("x=1@1949-12-31", Year(1949)),
            ("x=1@2101-01-01", Year(2101)),
        ] {
            assert_eq!(parse_added(bad).unwrap_err(), why, "{bad}");
        }
        for bad in ["x=1@-2020-01-01", "x=1@12345-01-01"] {
            assert!(parse_added(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn years_and_windows() {
        assert_eq!(parse_year(" 2012 "), Ok(2012));
        for bad in ["1949", "2101", "-2020", "twenty", ""] {
            assert!(parse_year(bad).is_err(), "{bad}");
        }
        let w = Window {
            since: Some(2012),
            until: Some(2018),
        };
        assert_eq!(w.label(), "2012-2018");
        let mut p = parse_added("x=1@2018-12-31").unwrap();
        assert!(w.contains(&p));
        p = parse_added("x=1@2019-01-01").unwrap();
        assert!(!w.contains(&p));
    }
}
