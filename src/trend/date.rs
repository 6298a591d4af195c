//! Dates of the trend: `YYYY-MM-DD` as the data files and `--add` write them, and the
//! fractional year (2012.41) a fit uses as its x.

use chrono::{Datelike, NaiveDate};

/// A `YYYY-MM-DD` date, or None.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// The year with the day as its fraction: 2012-01-01 is 2012.0.
pub fn fractional_year(d: NaiveDate) -> f64 {
    let days_in_year = if d.leap_year() { 366.0 } else { 365.0 };
    f64::from(d.year()) + f64::from(d.ordinal0()) / days_in_year
}
