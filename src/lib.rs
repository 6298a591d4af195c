//! flopmeter: measures what a machine's matrix units deliver (achieved TFLOP/s against the rated
//! dense peak) and turns measured utilization into training-compute estimates in pfs-days.

pub mod arch;
pub(crate) mod bench;
pub(crate) mod charts;
pub(crate) mod cli;
pub(crate) mod cluster;
pub(crate) mod commands;
pub(crate) mod compare;
pub(crate) mod console;
pub mod device;
pub mod dtype;
pub(crate) mod error;
pub(crate) mod estimate;
pub mod files;
pub mod gemm;
pub mod measure;
pub(crate) mod model;
pub(crate) mod output;
pub(crate) mod panic_guard;
pub mod peaks;
pub(crate) mod reference;
pub(crate) mod report;
pub mod results;
pub mod shape;
pub(crate) mod signals;
pub mod sustain;
pub(crate) mod telemetry;
pub(crate) mod trend;
pub(crate) mod units;

use clap::Parser;

/// Parses the command line, runs it, and returns the process exit status.
pub fn main_with_args() -> i32 {
    main_with(cli::Cli::try_parse(), None)
}

/// As `main_with_args`, for the command line `args` (its first item the program's name), with
/// every device's GEMM of a `sustain` wrapped by `plant`: the test suite's way to plant a
/// slowdown or a wrong result where the checks must catch it. flopmeter itself never calls
/// this, so nothing a user types or sets can plant anything.
#[doc(hidden)]
pub fn main_with_plant(args: Vec<String>, plant: &sustain::Plant) -> i32 {
    main_with(cli::Cli::try_parse_from(args), Some(plant))
}

fn main_with(parsed: Result<cli::Cli, clap::Error>, plant: Option<&sustain::Plant>) -> i32 {
    output::quiet_on_closed_pipe();
    console::install();
    device::wgpu::quiet_wayland_probe();
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => return clap_exit(&e),
    };
    match console::catch(|| commands::run(cli, plant)) {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            // Messages quote files and arguments: no escape sequence reaches the terminal.
            crate::say!("error: {}", output::clean::line(&e.to_string()));
            e.exit_code()
        }
        // stdout could not be written (a full disk): the output is lost, the work is not done.
        Err(e) => {
            crate::say!("error: {e}");
            1
        }
    }
}

/// Help and version go to stdout as clap writes them; a usage error is one line on stderr
/// naming the flag and the value (clap's own has a blank line and a hint after it).
fn clap_exit(e: &clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => match e.print() {
            Ok(()) => e.exit_code(),
            Err(io) => {
                crate::say!("error: cannot write the help: {io}");
                1
            }
        },
        _ => {
            crate::say!("{}", one_line(&e.render().to_string()));
            2
        }
    }
}

/// clap's message on one line, without its usage and help hints.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn clap_errors_become_one_line() {
        let text = "error: the following required arguments were not provided:\n  --out <FILE>\n\nUsage: flopmeter merge --out <FILE> <FILE>...\n\nFor more information, try '--help'.\n";
        assert_eq!(
            super::one_line(text),
            "error: the following required arguments were not provided: --out <FILE>"
        );
    }
}
