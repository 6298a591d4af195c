//! `flopmeter trend` arguments.

#[derive(Debug, clap::Args)]
pub struct TrendArgs {
    /// First year of the window (inclusive).
    #[arg(long, value_name = "YEAR", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Last year of the window (inclusive).
    #[arg(long, value_name = "YEAR", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// Your own run: NAME=PFS_DAYS@YYYY-MM-DD (repeatable).
    #[arg(long, value_name = "NAME=PFS_DAYS@DATE")]
    pub add: Vec<String>,
    /// Also write the chart: FILE.svg or FILE.png.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<std::path::PathBuf>,
}
