//! Tables for people, as one model rendered to a terminal of any width and to Markdown (the
//! HTML report renders the same model too). A cell is never split: when a
//! table is wider than the terminal, headers are shortened, names are cut (their full text is
//! under the table or in `--json`), and the least useful columns are left out, in that order;
//! every row stays on one line.

use console::{measure_text_width, truncate_str};

use super::clean;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// One column: its header, how it aligns, and what may give way when space is short.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub header: String,
    /// A shorter header for narrow terminals.
    pub short: Option<String>,
    pub align: Align,
    /// `Some(p)`: may be left out when the table does not fit, highest `p` first.
    pub drop: Option<u8>,
    /// Names that may be cut with "…" down to this width (never numbers, shapes or ids).
    pub cut_to: Option<usize>,
    /// What the column holds, for the Markdown and HTML captions.
    pub meaning: Option<String>,
}

impl Column {
    /// A left-aligned column of words, ids or shapes.
    pub fn text(header: &str) -> Column {
        Column {
            header: header.into(),
            short: None,
            align: Align::Left,
            drop: None,
            cut_to: None,
            meaning: None,
        }
    }

    /// A right-aligned column of numbers.
    pub fn num(header: &str) -> Column {
        Column {
            align: Align::Right,
            ..Column::text(header)
        }
    }

    pub fn short(mut self, header: &str) -> Column {
        self.short = Some(header.into());
        self
    }

    /// May be left out when space is short; higher `priority` goes first.
    pub fn drop(mut self, priority: u8) -> Column {
        self.drop = Some(priority);
        self
    }

    /// Its names may be cut to `width` columns when space is short.
    pub fn cut(mut self, width: usize) -> Column {
        self.cut_to = Some(width.max(4));
        self
    }

    pub fn means(mut self, meaning: &str) -> Column {
        self.meaning = Some(meaning.into());
        self
    }
}

/// A table: a title, columns, rows of cells, and lines printed under it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    pub title: Option<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
    /// Under the table: long names, what marks mean, what was left out.
    pub notes: Vec<String>,
}

/// Borders and padding of `n` columns in the UTF8_FULL_CONDENSED style: "│ a ┆ b │".
fn frame(n: usize) -> usize {
    3 * n + 1
}

/// What fits: which columns, their headers, and the width each gets.
struct Layout {
    shown: Vec<usize>,
    headers: Vec<String>,
    widths: Vec<usize>,
    left_out: Vec<String>,
}

impl Table {
    pub fn new(columns: Vec<Column>) -> Table {
        Table {
            columns,
            ..Table::default()
        }
    }

    pub fn titled(mut self, title: impl Into<String>) -> Table {
        self.title = Some(title.into());
        self
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.columns.len(), "{cells:?}");
        self.rows.push(cells);
    }

    pub fn note(&mut self, line: impl Into<String>) {
        self.notes.push(line.into());
    }

    /// Cells as they will be shown: one line each, control characters escaped.
    fn clean_rows(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| r.iter().map(|c| clean::line(c).into_owned()).collect())
            .collect()
    }

    fn natural(&self, rows: &[Vec<String>], headers: &[String]) -> Vec<usize> {
        (0..self.columns.len())
            .map(|i| {
                rows.iter()
                    .filter_map(|r| r.get(i))
                    .map(|c| measure_text_width(c))
                    .chain([measure_text_width(&headers[i])])
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    }

    /// Shorter headers, then names cut, then columns left out, until the table fits `width`.
    fn layout(&self, rows: &[Vec<String>], width: Option<usize>) -> Layout {
        let full: Vec<String> = self.columns.iter().map(|c| c.header.clone()).collect();
        let mut widths = self.natural(rows, &full);
        let mut layout = Layout {
            shown: (0..self.columns.len()).collect(),
            headers: full,
            widths: widths.clone(),
            left_out: Vec::new(),
        };
        let Some(width) = width else { return layout };
        let total =
            |l: &Layout| l.shown.iter().map(|i| l.widths[*i]).sum::<usize>() + frame(l.shown.len());
        if total(&layout) <= width {
            return layout;
        }
        layout.headers = self
            .columns
            .iter()
            .map(|c| c.short.clone().unwrap_or_else(|| c.header.clone()))
            .collect();
        widths = self.natural(rows, &layout.headers);
        layout.widths = widths;
        self.cut_names(&mut layout, width, &total);
        while total(&layout) > width {
            let victim = layout
                .shown
                .iter()
                .enumerate()
                .filter_map(|(pos, i)| self.columns[*i].drop.map(|p| (p, pos)))
                .max();
            let Some((_, pos)) = victim else { break };
            let i = layout.shown.remove(pos);
            layout.left_out.push(self.columns[i].header.clone());
            // A column left out may leave room to cut names less.
            layout.widths = self.natural(rows, &layout.headers);
            self.cut_names(&mut layout, width, &total);
        }
        layout
    }

    /// Narrows the cuttable columns (names), widest first, down to their limits.
    fn cut_names(&self, l: &mut Layout, width: usize, total: &dyn Fn(&Layout) -> usize) {
        while total(l) > width {
            let widest = l
                .shown
                .iter()
                .filter_map(|i| {
                    let limit = self.columns[*i].cut_to?;
                    let floor = limit.max(measure_text_width(&l.headers[*i]));
                    (l.widths[*i] > floor).then_some((l.widths[*i], *i, floor))
                })
                .max();
            let Some((w, i, floor)) = widest else { return };
            l.widths[i] = floor.max(w - (total(l) - width).min(w));
        }
    }

    /// The table for a terminal `width` columns wide (None: as wide as it needs, for pipes and
    /// logs), with its title above and its notes under it.
    pub fn terminal(&self, width: Option<usize>) -> String {
        let rows = self.clean_rows();
        let l = self.layout(&rows, width);
        let mut t = comfy_table::Table::new();
        t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
            .set_header(
                l.shown
                    .iter()
                    .map(|i| clean::line(&l.headers[*i]).into_owned()),
            );
        for r in &rows {
            t.add_row(
                l.shown
                    .iter()
                    .map(|i| shorten(r.get(*i).map(String::as_str).unwrap_or(""), l.widths[*i])),
            );
        }
        for (pos, i) in l.shown.iter().enumerate() {
            if let Some(c) = t.column_mut(pos) {
                c.set_cell_alignment(match self.columns[*i].align {
                    Align::Left => comfy_table::CellAlignment::Left,
                    Align::Right => comfy_table::CellAlignment::Right,
                });
            }
        }
        let mut out = String::new();
        if let Some(title) = &self.title {
            out += &clean::line(title);
            out.push('\n');
        }
        out += &t.to_string();
        out.push('\n');
        let mut notes = self.notes.clone();
        if !l.left_out.is_empty() {
            notes.push(format!(
                "Left out to fit {} columns: {} (a wider terminal, COLUMNS=250, or --json shows them).",
                width.unwrap_or(0),
                l.left_out.join(", ")
            ));
        }
        for n in &notes {
            out += &wrap(&clean::line(n), width);
        }
        out
    }

    /// GitHub-flavoured Markdown: a heading, the table, what each column holds, the notes.
    pub fn markdown(&self) -> String {
        let cell = |s: &str| {
            clean::line(s)
                .replace('\\', "\\\\")
                .replace('|', "\\|")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        let mut s = String::new();
        if let Some(title) = &self.title {
            s += &format!("### {}\n\n", cell(title));
        }
        let headers: Vec<String> = self.columns.iter().map(|c| cell(&c.header)).collect();
        s += &format!("| {} |\n", headers.join(" | "));
        let aligns: Vec<&str> = self
            .columns
            .iter()
            .map(|c| match c.align {
                Align::Left => ":---",
                Align::Right => "---:",
            })
            .collect();
        s += &format!("|{}|\n", aligns.join("|"));
        for r in &self.rows {
            let cells: Vec<String> = r.iter().map(|c| cell(c)).collect();
            s += &format!("| {} |\n", cells.join(" | "));
        }
        s.push('\n');
        let meanings: Vec<String> = self
            .columns
            .iter()
            .filter_map(|c| {
                Some(format!(
                    "**{}**: {}",
                    cell(&c.header),
                    cell(c.meaning.as_ref()?)
                ))
            })
            .collect();
        if !meanings.is_empty() {
            s += &format!("{}.\n\n", meanings.join("; "));
        }
        for n in &self.notes {
            s += &format!("{}\n\n", cell(n));
        }
        s
    }
}

/// `cell` in `width` columns: cut at the end with "…", or before the last '/' so that a
/// merged file's "host/cuda:0" keeps its device, its host first losing its domain
/// ("gpu-node-a…/cuda:0" for "gpu-node-a.example.org/cuda:0").
fn shorten(cell: &str, width: usize) -> String {
    if measure_text_width(cell) <= width {
        return cell.to_string();
    }
    if let Some((head, tail)) = cell.rsplit_once('/') {
        let tail = format!("/{tail}");
        if let Some((host, _domain)) = head.split_once('.') {
            let short = format!("{host}…{tail}");
            if measure_text_width(&short) <= width {
                return short;
            }
        }
        let room = width.saturating_sub(measure_text_width(&tail));
        if room >= 4 {
            return format!("{}{tail}", truncate_str(head, room, "…"));
        }
    }
    truncate_str(cell, width, "…").into_owned()
}

/// `text` in lines of at most `width` columns, broken between words (a word longer than a line
/// gets a line of its own); one line when `width` is None.
pub(crate) fn wrap(text: &str, width: Option<usize>) -> String {
    let Some(width) = width else {
        return format!("{text}\n");
    };
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let needed = measure_text_width(&line) + 1 + measure_text_width(word);
        if !line.is_empty() && needed > width {
            out += &line;
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line += word;
    }
    out += &line;
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new(vec![
            Column::text("device"),
            Column::text("name").cut(8),
            Column::text("shape"),
            Column::num("median TFLOP/s").short("TFLOP/s"),
            Column::num("rated").drop(2),
            Column::text("verified").drop(1),
        ]);
        t.row(vec![
            "cuda:0".into(),
            "NVIDIA H100 80GB HBM3".into(),
            "8192x8192x8192".into(),
            "612.3".into(),
            "989.4".into(),
            "yes".into(),
        ]);
        t
    }

    fn widest_line(s: &str) -> usize {
        s.lines().map(measure_text_width).max().unwrap_or(0)
    }

    #[test]
    fn a_table_that_fits_is_drawn_whole() {
        let out = sample().terminal(Some(200));
        assert!(out.contains("median TFLOP/s") && out.contains("NVIDIA H100 80GB HBM3"));
        assert!(!out.contains("Left out"));
        // The frame's width is what `frame` counts.
        let natural = 6 + 21 + 14 + 14 + 5 + 8 + frame(6);
        assert_eq!(widest_line(&out), natural, "{out}");
    }

    #[test]
    fn narrow_terminals_shorten_cut_and_drop_but_never_split() {
        // At 40 columns even the columns that cannot go are too wide: the table overflows
        // rather than split a cell.
        for width in [40, 50, 60, 70, 80] {
            let out = sample().terminal(Some(width));
            let table_lines: Vec<&str> = out
                .lines()
                .filter(|l| l.starts_with(['┌', '│', '╞', '└']))
                .collect();
            assert_eq!(
                table_lines.len(),
                5,
                "one header and one row line at {width}:\n{out}"
            );
            assert!(
                out.contains("8192x8192x8192") && out.contains("612.3"),
                "{out}"
            );
            assert!(
                width < 48 || table_lines.iter().all(|l| measure_text_width(l) <= width),
                "{width}:\n{out}"
            );
        }
        let out = sample().terminal(Some(80));
        assert!(
            out.contains("TFLOP/s") && !out.contains("median TFLOP/s"),
            "{out}"
        );
        assert!(
            out.contains("NVIDIA H100 80GB HBM3"),
            "cut only when needed:\n{out}"
        );
        let out = sample().terminal(Some(60));
        // The higher priority goes first; the name is cut only as far as needed.
        assert!(out.contains("Left out to fit 60 columns: rated "), "{out}");
        assert!(
            out.contains("verified") && out.contains("NVIDIA H… "),
            "{out}"
        );
        let out = sample().terminal(Some(50));
        assert!(
            out.contains("Left out to fit 50 columns: rated, verified "),
            "{out}"
        );
    }

    #[test]
    fn ids_keep_their_device_when_cut() {
        assert_eq!(
            shorten("gpu-node-a.example.org/cuda:0", 18),
            "gpu-node-a…/cuda:0"
        );
        assert_eq!(
            shorten("gpu-node-a.example.org/cuda:0", 16),
            "gpu-node…/cuda:0"
        );
        assert_eq!(shorten("NVIDIA H100 80GB HBM3", 10), "NVIDIA H1…");
        assert_eq!(shorten("short", 10), "short");
    }

    #[test]
    fn pipes_get_the_whole_table() {
        let out = sample().terminal(None);
        assert!(out.contains("median TFLOP/s") && out.contains("verified"));
    }

    #[test]
    fn numbers_align_right_and_markdown_escapes() {
        let mut t = Table::new(vec![Column::text("a|b"), Column::num("n").means("a count")]);
        t.row(vec!["x|<y>".into(), "1".into()]);
        t.row(vec!["long name".into(), "12345".into()]);
        let out = t.terminal(None);
        assert!(out.contains("┆     1 │"), "{out}");
        let md = t.markdown();
        assert!(md.contains("| a\\|b | n |\n|:---|---:|"), "{md}");
        assert!(md.contains("| x\\|&lt;y&gt; | 1 |"), "{md}");
        assert!(md.contains("**n**: a count."), "{md}");
    }

    #[test]
    fn notes_wrap_between_words() {
        let w = wrap(&"word ".repeat(30), Some(20));
        assert!(
            w.lines().all(|l| l.len() <= 20 && !l.starts_with(' ')),
            "{w}"
        );
        assert_eq!(wrap("one line", None), "one line\n");
    }
}
