//! `flopmeter trend` arguments.

#[derive(Debug, clap::Args)]
pub struct TrendArgs {
    /// First year of the window (inclusive; default: 2012). 1950 shows AI and Compute's pre-2012
    /// points too.
    #[arg(long, value_name = "YEAR", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Last year of the window (inclusive; default: to now).
    #[arg(long, value_name = "YEAR", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// Your own run: NAME=PFS_DAYS@YYYY-MM-DD (repeatable), drawn in red, never fitted.
    #[arg(long, value_name = "NAME=PFS_DAYS@DATE", allow_hyphen_values = true)]
    pub add: Vec<String>,
    /// Also write the chart: FILE.svg or FILE.png.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<std::path::PathBuf>,
    /// Also print how each run's compute was obtained and where from, and the published figures'
    /// sources.
    #[arg(long)]
    pub verbose: bool,
}
