//! The frame every chart shares: a title, a plot area with a grid, axes with tick labels and
//! titles, and a legend under it, laid out from the sizes of their texts so that nothing
//! overlaps or leaves the canvas. Text is never smaller than 13 px.

use super::axis::Axis;
use super::scene::{Anchor, Rect, Rgb, Scene, Shape, Text};
use super::text;

pub const TITLE_PX: f64 = 18.0;
pub const AXIS_TITLE_PX: f64 = 15.0;
pub const TICK_PX: f64 = 14.0;
pub const LEGEND_PX: f64 = 14.0;
/// Labels of points and lines: the smallest text of any chart.
pub const LABEL_PX: f64 = 13.0;
const MARGIN: f64 = 16.0;
const GAP: f64 = 8.0;

/// How a series is marked, in the legend and on the plot.
#[derive(Debug, Clone, Copy)]
pub enum Mark {
    Line { color: Rgb, dashed: bool },
    Dot(Rgb),
    Ring(Rgb),
    Triangle(Rgb),
}

impl Mark {
    /// The mark's shapes centred on (x, y), `len` wide for lines and bars.
    pub fn shapes(&self, x: f64, y: f64, len: f64) -> Vec<Shape> {
        match *self {
            Mark::Line { color, dashed } => vec![Shape::Line {
                points: vec![(x - len / 2.0, y), (x + len / 2.0, y)],
                color,
                width: 2.0,
                dashed,
            }],
            Mark::Dot(c) => vec![Shape::Circle {
                x,
                y,
                r: 5.0,
                fill: Some(c),
                stroke: None,
            }],
            Mark::Ring(c) => vec![Shape::Circle {
                x,
                y,
                r: 5.0,
                fill: Some(Rgb::WHITE),
                stroke: Some(c),
            }],
            Mark::Triangle(c) => vec![Shape::Triangle {
                x,
                y,
                r: 8.0,
                fill: c,
            }],
        }
    }
}

/// One axis as drawn: its scale, title and how its ticks are written.
pub struct AxisSpec {
    pub axis: Axis,
    pub title: String,
    pub label: fn(f64) -> String,
}

/// What a frame holds: the title, both axes, and the legend.
pub struct FrameSpec {
    pub title: String,
    pub x: AxisSpec,
    pub y: AxisSpec,
    pub legend: Vec<(Mark, String)>,
}

/// A drawn frame: where the plot area is, how values map into it, and what room is taken.
pub struct Frame {
    pub plot: Rect,
    x: Axis,
    y: Axis,
    /// Boxes of everything drawn so far that labels must keep clear of.
    pub taken: Vec<Rect>,
}

/// `text` broken into lines no wider than `width` at `size`.
pub fn wrap(text: &str, size: f64, bold: bool, width: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if !line.is_empty() && text::width(&candidate, size, bold) > width {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// One legend entry's width: the mark, a gap, the text, and room before the next.
fn entry_width(label: &str) -> f64 {
    24.0 + 6.0 + text::width(label, LEGEND_PX, false) + 20.0
}

/// The legend's entries in rows that fit `width`.
fn legend_rows(legend: &[(Mark, String)], width: f64) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut used = 0.0;
    for (i, (_, label)) in legend.iter().enumerate() {
        let w = entry_width(label);
        match rows.last_mut() {
            Some(row) if used + w <= width => row.push(i),
            _ => {
                rows.push(vec![i]);
                used = 0.0;
            }
        }
        used += w;
    }
    rows
}

const LEGEND_ROW: f64 = 22.0;

/// Where the parts of a frame go, from the sizes of their texts.
struct Layout {
    plot: Rect,
    title: Vec<String>,
    legend: Vec<Vec<usize>>,
    x_labels: Vec<String>,
    y_labels: Vec<String>,
}

impl AxisSpec {
    fn labels(&self) -> Vec<String> {
        self.axis.ticks.iter().map(|t| (self.label)(*t)).collect()
    }
}

/// The plot area is what the title, the tick labels, the axis titles and the legend leave.
fn layout(spec: &FrameSpec, canvas: Rect) -> Layout {
    let inner = canvas.x1 - 2.0 * MARGIN;
    let title = wrap(&spec.title, TITLE_PX, true, inner);
    let legend = legend_rows(&spec.legend, inner);
    let (x_labels, y_labels) = (spec.x.labels(), spec.y.labels());
    let widest_y = y_labels
        .iter()
        .map(|l| text::width(l, TICK_PX, false))
        .fold(0.0, f64::max);
    let last_x = x_labels
        .last()
        .map_or(0.0, |l| text::width(l, TICK_PX, false));
    let tick_h = text::height(TICK_PX);
    let legend_h = legend.len() as f64 * LEGEND_ROW + if legend.is_empty() { 0.0 } else { GAP };
    let below = text::height(AXIS_TITLE_PX) + tick_h + 3.0 * GAP;
    let plot = Rect {
        x0: MARGIN + text::height(AXIS_TITLE_PX) + GAP + widest_y + GAP,
        y0: MARGIN + title.len() as f64 * TITLE_PX * 1.3 + GAP + tick_h / 2.0,
        x1: canvas.x1 - MARGIN - (last_x / 2.0).max(GAP),
        y1: canvas.y1 - MARGIN - legend_h - below,
    };
    Layout {
        plot,
        title,
        legend,
        x_labels,
        y_labels,
    }
}

impl Frame {
    /// Lays out and draws the frame of `spec` on `scene`.
    pub fn draw(scene: &mut Scene, spec: &FrameSpec) -> Frame {
        let canvas = scene.canvas();
        let l = layout(spec, canvas);
        let plot = l.plot;
        let mut frame = Frame {
            plot,
            x: spec.x.axis.clone(),
            y: spec.y.axis.clone(),
            taken: Vec::new(),
        };
        for (i, line) in l.title.iter().enumerate() {
            let y = MARGIN + TITLE_PX * 1.3 * (i as f64 + 0.5);
            let t = Text::new(canvas.x1 / 2.0, y, line.clone(), TITLE_PX);
            frame.put(scene, t.anchor(Anchor::Middle).bold());
        }
        frame.grid(scene, &l.x_labels, &l.y_labels);
        let x_title_y =
            plot.y1 + 2.0 * GAP + text::height(TICK_PX) + text::height(AXIS_TITLE_PX) / 2.0;
        let x_title = Text::new(
            (plot.x0 + plot.x1) / 2.0,
            x_title_y,
            spec.x.title.clone(),
            AXIS_TITLE_PX,
        );
        frame.put(scene, x_title.anchor(Anchor::Middle));
        let y_title = Text::new(
            MARGIN + text::height(AXIS_TITLE_PX) / 2.0,
            (plot.y0 + plot.y1) / 2.0,
            spec.y.title.clone(),
            AXIS_TITLE_PX,
        );
        frame.put(scene, y_title.anchor(Anchor::Middle).vertical());
        let legend_top = canvas.y1 - MARGIN - l.legend.len() as f64 * LEGEND_ROW;
        frame.legend(scene, &spec.legend, &l.legend, legend_top);
        frame
    }

    /// Draws a text and keeps its box clear of later labels (an empty text is not drawn).
    pub fn put(&mut self, scene: &mut Scene, t: Text) {
        if t.text.trim().is_empty() {
            return;
        }
        self.taken.push(t.bounds());
        scene.text(t);
    }

    /// Grid lines, axes and tick labels; a tick label that would touch its neighbour is left
    /// out (its grid line stays).
    fn grid(&mut self, scene: &mut Scene, x_labels: &[String], y_labels: &[String]) {
        let p = self.plot;
        for t in self.x.ticks.clone() {
            let x = self.x_px(t);
            scene.line(vec![(x, p.y0), (x, p.y1)], Rgb::LIGHT, 1.0, false);
        }
        for t in self.y.ticks.clone() {
            let y = self.y_px(t);
            scene.line(vec![(p.x0, y), (p.x1, y)], Rgb::LIGHT, 1.0, false);
        }
        scene.line(
            vec![(p.x0, p.y0), (p.x0, p.y1), (p.x1, p.y1)],
            Rgb::BLACK,
            1.0,
            false,
        );
        let mut last: Option<Rect> = None;
        for (t, l) in self.y.ticks.clone().into_iter().zip(y_labels) {
            let text = Text::new(p.x0 - GAP, self.y_px(t), l.clone(), TICK_PX).anchor(Anchor::End);
            let b = text.bounds();
            if last.is_some_and(|prev| prev.grow(2.0).overlaps(&b)) {
                continue;
            }
            last = Some(b);
            self.put(scene, text);
        }
        // An x tick label touching a y tick label (at the corner) or its neighbour is left out.
        for (t, l) in self.x.ticks.clone().into_iter().zip(x_labels) {
            let text = Text::new(
                self.x_px(t),
                p.y1 + GAP + text::height(TICK_PX) / 2.0,
                l.clone(),
                TICK_PX,
            )
            .anchor(Anchor::Middle);
            let b = text.bounds().grow(3.0);
            if self.taken.iter().any(|o| o.overlaps(&b)) {
                continue;
            }
            self.put(scene, text);
        }
    }

    fn legend(
        &mut self,
        scene: &mut Scene,
        legend: &[(Mark, String)],
        rows: &[Vec<usize>],
        top: f64,
    ) {
        for (r, row) in rows.iter().enumerate() {
            let y = top + LEGEND_ROW * (r as f64 + 0.5);
            let mut x = MARGIN;
            for i in row {
                let (mark, label) = &legend[*i];
                for s in mark.shapes(x + 12.0, y, 22.0) {
                    scene.add(s);
                }
                self.put(scene, Text::new(x + 30.0, y, label.clone(), LEGEND_PX));
                x += entry_width(label);
            }
        }
    }

    pub fn x_px(&self, x: f64) -> f64 {
        self.plot.x0 + self.x.fraction(x) * (self.plot.x1 - self.plot.x0)
    }

    pub fn y_px(&self, y: f64) -> f64 {
        self.plot.y1 - self.y.fraction(y) * (self.plot.y1 - self.plot.y0)
    }

    pub fn px(&self, x: f64, y: f64) -> (f64, f64) {
        (self.x_px(x), self.y_px(y))
    }

    /// Marks a point's room as taken, so labels do not cover it.
    pub fn occupy(&mut self, (x, y): (f64, f64), r: f64) {
        self.taken.push(Rect {
            x0: x - r,
            y0: y - r,
            x1: x + r,
            y1: y + r,
        });
    }

    /// Draws the first candidate that stays inside the plot area and clear of everything drawn
    /// so far; false when none does (the label is left out).
    pub fn place(&mut self, scene: &mut Scene, candidates: impl IntoIterator<Item = Text>) -> bool {
        for t in candidates {
            let b = t.bounds();
            if b.inside(&self.plot) && !self.taken.iter().any(|o| o.overlaps(&b.grow(1.5))) {
                self.put(scene, t);
                return true;
            }
        }
        false
    }
}

/// Candidates for a point's label: right, left, above and below it, near then farther.
pub fn around((x, y): (f64, f64), label: &str, size: f64, color: Rgb) -> Vec<Text> {
    let mut out = Vec::new();
    for d in [8.0, 16.0, 26.0] {
        let v = text::height(size) / 2.0 + d * 0.6;
        for (dx, dy, a) in [
            (d, -v, Anchor::Start),
            (d, v, Anchor::Start),
            (-d, -v, Anchor::End),
            (-d, v, Anchor::End),
            (d, 0.0, Anchor::Start),
            (-d, 0.0, Anchor::End),
            (0.0, -v - 4.0, Anchor::Middle),
            (0.0, v + 4.0, Anchor::Middle),
        ] {
            out.push(
                Text::new(x + dx, y + dy, label, size)
                    .anchor(a)
                    .color(color),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::axis::label;

    fn spec(legend: usize) -> FrameSpec {
        FrameSpec {
            title: "TFLOP/s against problem size, a long title that has to wrap on a narrow canvas"
                .into(),
            x: AxisSpec {
                axis: Axis::linear(256.0, 4096.0),
                title: "size".into(),
                label,
            },
            y: AxisSpec {
                axis: Axis::log(0.001, 0.5),
                title: "median TFLOP/s".into(),
                label,
            },
            legend: (0..legend)
                .map(|i| (Mark::Dot(Rgb::RED), format!("cpu:{i} faer f32")))
                .collect(),
        }
    }

    #[test]
    fn texts_stay_inside_apart_and_large_enough() {
        for size in [(960, 560), (640, 400), (1600, 900)] {
            let mut scene = Scene::new(size);
            let frame = Frame::draw(&mut scene, &spec(12));
            let texts = scene.text_bounds();
            assert!(texts.len() > 15);
            for (i, (t, b, px)) in texts.iter().enumerate() {
                assert!(*px >= 13.0, "{t}");
                assert!(b.inside(&scene.canvas()), "{t} {b:?} in {size:?}");
                for (u, c, _) in &texts[i + 1..] {
                    assert!(!b.overlaps(c), "{t} overlaps {u} in {size:?}");
                }
            }
            assert!(frame.plot.x1 - frame.plot.x0 > 300.0 && frame.plot.y1 - frame.plot.y0 > 100.0);
        }
    }

    #[test]
    fn values_map_into_the_plot() {
        let mut scene = Scene::new((960, 560));
        let f = Frame::draw(&mut scene, &spec(1));
        // x runs from 0 to 5000, y from 0.001 up.
        let (x, y) = f.px(256.0, 0.001);
        let expected = f.plot.x0 + 256.0 / 5000.0 * (f.plot.x1 - f.plot.x0);
        assert!((x - expected).abs() < 1e-9 && (y - f.plot.y1).abs() < 1e-9);
        assert!(f.y_px(0.5) < f.y_px(0.1));
    }
}
