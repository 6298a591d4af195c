//! The eras of the chart (`data/trend/eras.csv`): date ranges fitted each on its own, each with
//! the published figure its fit is compared with (AI and Compute's 3.4 months, Epoch AI's 4-5x a
//! year) and, where the source gives one, a published growth factor between two of its runs.

use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::date::parse_date;

/// A published doubling time.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    /// As the source states it: "3.4 months", "4-5x a year (5.2-6.0 months)".
    pub figure: String,
    pub by: String,
    /// Doubling time in months: low and high (equal where the source gives one number).
    pub doubling_months: [f64; 2],
    pub source: String,
}

/// A published growth factor between two runs ("AlexNet to AlphaGo Zero: 300,000x").
#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    pub from: String,
    pub to: String,
    pub factor: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Era {
    pub id: String,
    pub label: String,
    /// First and last day, YYYY-MM-DD.
    pub from: String,
    pub until: String,
    pub published: Published,
    pub headline: Option<Headline>,
    #[serde(skip)]
    first_day: NaiveDate,
    #[serde(skip)]
    last_day: NaiveDate,
}

impl Era {
    pub fn contains(&self, d: NaiveDate) -> bool {
        (self.first_day..=self.last_day).contains(&d)
    }

    /// Whether any day of the era falls in the years `since..=until`.
    pub fn overlaps_years(&self, since: i32, until: i32) -> bool {
        use chrono::Datelike;
        self.first_day.year() <= until && self.last_day.year() >= since
    }
}

#[derive(Debug, Deserialize)]
struct Row {
    id: String,
    label: String,
    from: String,
    until: String,
    published: String,
    published_by: String,
    published_months_low: f64,
    published_months_high: f64,
    headline_from: Option<String>,
    headline_to: Option<String>,
    headline_factor: Option<f64>,
    source: String,
}

fn day(s: &str) -> Result<NaiveDate, String> {
    parse_date(s).ok_or_else(|| format!("date '{s}' is not YYYY-MM-DD"))
}

fn headline(r: &Row) -> Result<Option<Headline>, String> {
    match (&r.headline_from, &r.headline_to, r.headline_factor) {
        (None, None, None) => Ok(None),
        (Some(from), Some(to), Some(factor)) if factor > 1.0 => Ok(Some(Headline {
            from: from.clone(),
            to: to.clone(),
            factor,
        })),
        _ => Err("headline_from, headline_to and headline_factor (> 1) go together".into()),
    }
}

fn era(r: Row) -> Result<Era, String> {
    let (first_day, last_day) = (day(&r.from)?, day(&r.until)?);
    let [lo, hi] = [r.published_months_low, r.published_months_high];
    if first_day > last_day || !(lo > 0.0 && lo <= hi && hi.is_finite()) {
        return Err("dates or published months out of order".into());
    }
    Ok(Era {
        headline: headline(&r)?,
        published: Published {
            figure: r.published,
            by: r.published_by,
            doubling_months: [lo, hi],
            source: r.source,
        },
        id: r.id,
        label: r.label,
        from: r.from,
        until: r.until,
        first_day,
        last_day,
    })
}

fn load(text: &str) -> Result<Vec<Era>, String> {
    let eras = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.as_bytes())
        .deserialize::<Row>()
        .map(|r| {
            let r = r.map_err(|e| e.to_string())?;
            let id = r.id.clone();
            era(r).map_err(|e| format!("era {id}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if eras.windows(2).any(|w| w[0].last_day >= w[1].first_day) {
        return Err("eras overlap or are out of order".into());
    }
    Ok(eras)
}

static ERAS: LazyLock<Vec<Era>> = LazyLock::new(|| {
    load(include_str!("../../data/trend/eras.csv"))
        .unwrap_or_else(|e| panic!("bundled data/trend/eras.csv: {e}"))
});

/// The eras, oldest first. The data is compiled in; a test loads it.
pub fn eras() -> &'static [Era] {
    &ERAS
}

/// The id of the era a date falls in.
pub fn era_of(d: NaiveDate) -> Option<&'static str> {
    eras().iter().find(|e| e.contains(d)).map(|e| e.id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eras_follow_each_other_with_their_published_figures() {
        let ids: Vec<_> = eras().iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["pre-2012", "2012-2018", "2018-now"]);
        let aic = &eras()[1];
        assert_eq!(aic.published.doubling_months, [3.4, 3.4]);
        let h = aic.headline.as_ref().unwrap();
        assert_eq!(
            (h.from.as_str(), h.to.as_str()),
            ("AlexNet", "AlphaGo Zero")
        );
        // Epoch's 4-5x a year is 12 / log2(growth) months.
        let [lo, hi] = eras()[2].published.doubling_months;
        assert!((lo - 12.0 / 5f64.log2()).abs() < 0.01 && (hi - 6.0).abs() < 1e-9);
        assert_eq!(era_of(parse_date("2018-05-16").unwrap()), Some("2012-2018"));
        assert_eq!(era_of(parse_date("2018-05-17").unwrap()), Some("2018-now"));
        assert!(aic.overlaps_years(2018, 2018) && !aic.overlaps_years(2019, 2030));
    }

    #[test]
    fn overlapping_eras_are_refused() {
        let text = "id,label,from,until,published,published_by,published_months_low,\
                    published_months_high,headline_from,headline_to,headline_factor,source\n\
                    a,A,2010-01-01,2015-01-01,x,y,1,1,,,,s\n\
                    b,B,2014-01-01,2020-01-01,x,y,1,1,,,,s\n";
        assert!(load(text).unwrap_err().contains("overlap"));
    }
}
