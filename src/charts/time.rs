//! Values against time, one line per device: a sustained run's rate, clock, power and
//! temperature per window. Laid out by the shared frame (measured text, plain ticks, a legend),
//! each point's value on hover, marked points (failures) as red triangles, and labelled dashed
//! levels (a power cap).

use super::axis::{label, Axis};
use super::frame::{AxisSpec, Frame, FrameSpec, Mark};
use super::scene::{Hover, Rgb, Scene, Shape};
use super::{color, Chart};

/// One device's line: (seconds, value) points with what hovering over each says.
pub struct TimeLine {
    pub name: String,
    pub points: Vec<(f64, f64, String)>,
    /// Points to mark (a failure found there): time, value, what it was.
    pub marks: Vec<(f64, f64, String)>,
}

/// A horizontal line across the chart, labelled in the legend.
pub struct TimeLevel {
    pub value: f64,
    pub label: String,
}

/// A chart of lines against seconds.
pub struct TimeChart {
    pub title: String,
    pub y_title: String,
    pub lines: Vec<TimeLine>,
    pub levels: Vec<TimeLevel>,
    /// The time axis runs to at least this, seconds.
    pub until_s: f64,
}

/// Dots on a line only while they stay apart; beyond, the line alone (hovers remain).
const MOST_DOTS: usize = 80;

impl TimeChart {
    fn frame(&self) -> FrameSpec {
        let mut ys: Vec<f64> = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .collect();
        ys.extend(self.levels.iter().map(|l| l.value));
        let (lo, hi) = ys
            .iter()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(*v), b.max(*v))
            });
        let y = if lo.is_finite() {
            Axis::linear(lo, hi)
        } else {
            Axis::linear(0.0, 1.0)
        };
        let mut legend: Vec<(Mark, String)> = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| (Mark::Dot(color(i)), l.name.clone()))
            .collect();
        legend.extend(self.levels.iter().map(|l| {
            let mark = Mark::Line {
                color: Rgb::RED,
                dashed: true,
            };
            (mark, l.label.clone())
        }));
        if self.lines.iter().any(|l| !l.marks.is_empty()) {
            legend.push((Mark::Triangle(Rgb::RED), "failure found".into()));
        }
        FrameSpec {
            title: self.title.clone(),
            x: AxisSpec {
                axis: Axis::linear(0.0, self.until_s.max(1e-3)),
                title: "seconds since the start".into(),
                label,
            },
            y: AxisSpec {
                axis: y,
                title: self.y_title.clone(),
                label,
            },
            legend,
        }
    }
}

fn draw_line(scene: &mut Scene, frame: &mut Frame, line: &TimeLine, c: Rgb) {
    let px: Vec<(f64, f64)> = line.points.iter().map(|p| frame.px(p.0, p.1)).collect();
    if px.len() > 1 {
        scene.line(px.clone(), c, 2.0, false);
    }
    let dots = px.len() <= MOST_DOTS;
    for (at, p) in px.iter().zip(&line.points) {
        if dots {
            for s in Mark::Dot(c).shapes(at.0, at.1, 0.0) {
                scene.add(s);
            }
        }
        frame.occupy(*at, 5.0);
        scene.hovers.push(Hover {
            x: at.0,
            y: at.1,
            r: 6.0,
            title: p.2.clone(),
        });
    }
    for m in &line.marks {
        let at = frame.px(m.0, m.1);
        scene.add(Shape::Triangle {
            x: at.0,
            y: at.1,
            r: 8.0,
            fill: Rgb::RED,
        });
        scene.hovers.push(Hover {
            x: at.0,
            y: at.1,
            r: 9.0,
            title: m.2.clone(),
        });
    }
}

impl Chart for TimeChart {
    fn scene(&self, size: (u32, u32)) -> Result<Scene, String> {
        if self.lines.iter().all(|l| l.points.is_empty()) {
            return Err(format!("nothing to chart for {}", self.title));
        }
        let mut scene = Scene::new(size);
        let mut frame = Frame::draw(&mut scene, &self.frame());
        for l in &self.levels {
            let y = frame.y_px(l.value);
            scene.line(
                vec![(frame.plot.x0, y), (frame.plot.x1, y)],
                Rgb::RED,
                2.0,
                true,
            );
        }
        for (i, line) in self.lines.iter().enumerate() {
            draw_line(&mut scene, &mut frame, line, color(i));
        }
        Ok(scene)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_levels_and_failures_are_drawn_readably() {
        let line = |name: &str, f: fn(f64) -> f64| TimeLine {
            name: name.into(),
            points: (0..300)
                .map(|i| {
                    let t = i as f64 + 0.5;
                    (t, f(t), format!("{name} at {t} s"))
                })
                .collect(),
            marks: Vec::new(),
        };
        let mut a = line("cuda:0", |t| if t < 30.0 { 1965.0 } else { 1580.0 });
        a.marks
            .push((120.5, 1580.0, "window 120: a flipped bit".into()));
        let chart = TimeChart {
            title: "SM clock against time".into(),
            y_title: "MHz".into(),
            lines: vec![a, line("cuda:1", |_| 1965.0)],
            levels: vec![TimeLevel {
                value: 1980.0,
                label: "boost clock 1980 MHz".into(),
            }],
            until_s: 300.0,
        };
        let scene = chart.scene(super::super::SIZE).unwrap();
        let texts = scene.text_bounds();
        for (i, (t, b, px)) in texts.iter().enumerate() {
            assert!(*px >= 13.0, "{t}");
            assert!(b.inside(&scene.canvas()), "{t} leaves the canvas");
            for (u, c, _) in &texts[i + 1..] {
                assert!(!b.overlaps(c), "{t} overlaps {u}");
            }
        }
        let names: Vec<&str> = texts.iter().map(|t| t.0.as_str()).collect();
        assert!(names.contains(&"failure found") && names.contains(&"cuda:1"));
        assert!(names.contains(&"seconds since the start") && names.contains(&"300"));
        // Every window of both lines, and the failure, on hover.
        assert_eq!(scene.hovers.len(), 601);
        assert!(chart
            .scene((960, 560))
            .unwrap()
            .to_svg()
            .contains("a flipped bit"));
        let empty = TimeChart {
            lines: Vec::new(),
            ..chart
        };
        assert!(empty.scene((960, 560)).is_err());
    }
}
