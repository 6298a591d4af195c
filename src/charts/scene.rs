//! What a chart draws, in pixels: lines, marks, rectangles and text with their sizes known, so
//! that a layout can keep labels apart and inside the canvas before anything is drawn. A scene
//! is written as SVG (text as text, with a `<title>` on each point for hover values) or drawn
//! into a PNG through plotters' bitmap backend with the bundled DejaVu Sans.

use std::fmt::Write;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::text::{self, FAMILY};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub const BLACK: Rgb = Rgb(0, 0, 0);
    pub const GREY: Rgb = Rgb(110, 110, 110);
    pub const LIGHT: Rgb = Rgb(225, 225, 225);
    pub const RED: Rgb = Rgb(214, 39, 40);
    pub const WHITE: Rgb = Rgb(255, 255, 255);

    fn hex(self) -> String {
        format!("#{:02X}{:02X}{:02X}", self.0, self.1, self.2)
    }

    fn plotters(self) -> RGBColor {
        RGBColor(self.0, self.1, self.2)
    }
}

/// An axis-aligned box, pixels: left, top, right, bottom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }

    pub fn inside(&self, o: &Rect) -> bool {
        self.x0 >= o.x0 && self.x1 <= o.x1 && self.y0 >= o.y0 && self.y1 <= o.y1
    }

    pub fn grow(&self, by: f64) -> Rect {
        Rect {
            x0: self.x0 - by,
            y0: self.y0 - by,
            x1: self.x1 + by,
            y1: self.y1 + by,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// A line of text, vertically centred on `y`; `vertical` turns it to read bottom to top.
#[derive(Debug, Clone)]
pub struct Text {
    pub x: f64,
    pub y: f64,
    pub text: String,
    pub size: f64,
    pub anchor: Anchor,
    pub color: Rgb,
    pub bold: bool,
    pub vertical: bool,
}

impl Text {
    pub fn new(x: f64, y: f64, text: impl Into<String>, size: f64) -> Text {
        Text {
            x,
            y,
            text: text.into(),
            size,
            anchor: Anchor::Start,
            color: Rgb::BLACK,
            bold: false,
            vertical: false,
        }
    }

    pub fn anchor(mut self, a: Anchor) -> Text {
        self.anchor = a;
        self
    }

    pub fn color(mut self, c: Rgb) -> Text {
        self.color = c;
        self
    }

    pub fn bold(mut self) -> Text {
        self.bold = true;
        self
    }

    pub fn vertical(mut self) -> Text {
        self.vertical = true;
        self
    }

    /// The box the text covers, with room for the font a browser picks.
    pub fn bounds(&self) -> Rect {
        let along = text::width(&self.text, self.size, self.bold);
        let across = text::height(self.size);
        let start = match self.anchor {
            Anchor::Start => 0.0,
            Anchor::Middle => -along / 2.0,
            Anchor::End => -along,
        };
        if self.vertical {
            // Rotated -90 degrees: it runs upwards from (x, y).
            Rect {
                x0: self.x - across / 2.0,
                x1: self.x + across / 2.0,
                y0: self.y - start - along,
                y1: self.y - start,
            }
        } else {
            Rect {
                x0: self.x + start,
                x1: self.x + start + along,
                y0: self.y - across / 2.0,
                y1: self.y + across / 2.0,
            }
        }
    }
}

#[derive(Debug, Clone)]
pub enum Shape {
    Line {
        points: Vec<(f64, f64)>,
        color: Rgb,
        width: f64,
        dashed: bool,
    },
    Circle {
        x: f64,
        y: f64,
        r: f64,
        fill: Option<Rgb>,
        stroke: Option<Rgb>,
    },
    /// A triangle pointing up, centred on (x, y).
    Triangle {
        x: f64,
        y: f64,
        r: f64,
        fill: Rgb,
    },
    Rect {
        rect: Rect,
        fill: Option<Rgb>,
        stroke: Option<Rgb>,
    },
    Text(Text),
}

/// A value shown when the pointer rests on a point (SVG only).
#[derive(Debug, Clone)]
pub struct Hover {
    pub x: f64,
    pub y: f64,
    pub r: f64,
    pub title: String,
}

#[derive(Debug, Clone)]
pub struct Scene {
    pub width: u32,
    pub height: u32,
    pub shapes: Vec<Shape>,
    pub hovers: Vec<Hover>,
}

fn xml(s: &str) -> String {
    crate::output::clean::line(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Scene {
    pub fn new((width, height): (u32, u32)) -> Scene {
        Scene {
            width,
            height,
            shapes: Vec::new(),
            hovers: Vec::new(),
        }
    }

    pub fn canvas(&self) -> Rect {
        Rect {
            x0: 0.0,
            y0: 0.0,
            x1: f64::from(self.width),
            y1: f64::from(self.height),
        }
    }

    pub fn add(&mut self, s: Shape) {
        self.shapes.push(s);
    }

    pub fn text(&mut self, t: Text) {
        self.shapes.push(Shape::Text(t));
    }

    pub fn line(&mut self, points: Vec<(f64, f64)>, color: Rgb, width: f64, dashed: bool) {
        self.shapes.push(Shape::Line {
            points,
            color,
            width,
            dashed,
        });
    }

    /// Every text's box, for tests.
    #[cfg(test)]
    pub fn text_bounds(&self) -> Vec<(String, Rect, f64)> {
        self.shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Text(t) => Some((t.text.clone(), t.bounds(), t.size)),
                _ => None,
            })
            .collect()
    }

    /// The scene as SVG markup, with a `<title>` per point for hover values.
    pub fn to_svg(&self) -> String {
        let (w, h) = (self.width, self.height);
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"{FAMILY}\">\n<rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n"
        );
        for shape in &self.shapes {
            svg_shape(&mut s, shape);
        }
        if !self.hovers.is_empty() {
            s += "<g fill=\"#000000\" fill-opacity=\"0\">\n";
            for p in &self.hovers {
                let _ = writeln!(
                    s,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{:.1}\"><title>{}</title></circle>",
                    p.x,
                    p.y,
                    p.r,
                    xml(&p.title)
                );
            }
            s += "</g>\n";
        }
        s += "</svg>\n";
        s
    }

    /// Draws the scene on a plotters drawing area of its size (a PNG).
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), String> {
        area.fill(&WHITE).map_err(|e| e.to_string())?;
        for shape in &self.shapes {
            draw_shape(area, shape).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

fn svg_stroke(c: Option<Rgb>, width: f64) -> String {
    match c {
        Some(c) => format!(" stroke=\"{}\" stroke-width=\"{width}\"", c.hex()),
        None => String::new(),
    }
}

/// The corners of a triangle pointing up, centred on (x, y).
fn triangle(x: f64, y: f64, r: f64) -> [(f64, f64); 3] {
    [
        (x, y - r),
        (x - r * 0.87, y + r * 0.5),
        (x + r * 0.87, y + r * 0.5),
    ]
}

fn svg_points(points: &[(f64, f64)]) -> String {
    let pts: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    pts.join(" ")
}

fn svg_text(t: &Text) -> String {
    let anchor = match t.anchor {
        Anchor::Start => "start",
        Anchor::Middle => "middle",
        Anchor::End => "end",
    };
    let rotate = if t.vertical {
        format!(" transform=\"rotate(-90 {:.1} {:.1})\"", t.x, t.y)
    } else {
        String::new()
    };
    let bold = if t.bold { " font-weight=\"bold\"" } else { "" };
    format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{}\" text-anchor=\"{anchor}\" dominant-baseline=\"central\" fill=\"{}\"{bold}{rotate}>{}</text>",
        t.x,
        t.y,
        t.size,
        t.color.hex(),
        xml(&t.text)
    )
}

fn svg_shape(s: &mut String, shape: &Shape) {
    let fill = |c: Option<Rgb>| c.map_or("none".to_string(), Rgb::hex);
    let _ = match shape {
        Shape::Line {
            points,
            color,
            width,
            dashed,
        } => {
            let dash = if *dashed {
                " stroke-dasharray=\"7 5\""
            } else {
                ""
            };
            writeln!(
                s,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{width}\"{dash}/>",
                svg_points(points),
                color.hex(),
            )
        }
        Shape::Circle {
            x,
            y,
            r,
            fill: f,
            stroke,
        } => writeln!(
            s,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r}\" fill=\"{}\"{}/>",
            fill(*f),
            svg_stroke(*stroke, 2.0)
        ),
        Shape::Triangle { x, y, r, fill: f } => writeln!(
            s,
            "<polygon points=\"{}\" fill=\"{}\"/>",
            svg_points(&triangle(*x, *y, *r)),
            f.hex()
        ),
        Shape::Rect {
            rect,
            fill: f,
            stroke,
        } => writeln!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"{}/>",
            rect.x0,
            rect.y0,
            rect.x1 - rect.x0,
            rect.y1 - rect.y0,
            fill(*f),
            svg_stroke(*stroke, 1.0)
        ),
        Shape::Text(t) => writeln!(s, "{}", svg_text(t)),
    };
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn px(p: (f64, f64)) -> (i32, i32) {
    (p.0.round() as i32, p.1.round() as i32)
}

fn draw_shape<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    shape: &Shape,
) -> DrawResult<DB> {
    match shape {
        Shape::Line {
            points,
            color,
            width,
            dashed,
        } => {
            let style = color.plotters().stroke_width(width.round().max(1.0) as u32);
            let pts: Vec<(i32, i32)> = points.iter().copied().map(px).collect();
            if *dashed {
                area.draw(&plotters::element::DashedPathElement::new(pts, 7, 5, style))
            } else {
                area.draw(&PathElement::new(pts, style))
            }
        }
        Shape::Circle {
            x,
            y,
            r,
            fill,
            stroke,
        } => {
            let c = px((*x, *y));
            let r = r.round() as i32;
            if let Some(f) = fill {
                area.draw(&Circle::new(c, r, f.plotters().filled()))?;
            }
            match stroke {
                Some(s) => area.draw(&Circle::new(c, r, s.plotters().stroke_width(2))),
                None => Ok(()),
            }
        }
        Shape::Triangle { x, y, r, fill } => area.draw(&Polygon::new(
            triangle(*x, *y, *r).map(px).to_vec(),
            fill.plotters().filled(),
        )),
        Shape::Rect { rect, fill, stroke } => {
            let corners = [px((rect.x0, rect.y0)), px((rect.x1, rect.y1))];
            if let Some(f) = fill {
                area.draw(&Rectangle::new(corners, f.plotters().filled()))?;
            }
            match stroke {
                Some(s) => area.draw(&Rectangle::new(corners, s.plotters().stroke_width(1))),
                None => Ok(()),
            }
        }
        Shape::Text(t) => draw_text(area, t),
    }
}

fn draw_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    t: &Text,
) -> DrawResult<DB> {
    let h = match t.anchor {
        Anchor::Start => HPos::Left,
        Anchor::Middle => HPos::Center,
        Anchor::End => HPos::Right,
    };
    // plotters sizes a font by its ascent-to-descent height, CSS by its em. One face is
    // bundled: bold is drawn regular in PNGs.
    let mut font = FontDesc::new(
        FontFamily::Name("sans-serif"),
        t.size * text::EM_TO_HEIGHT,
        FontStyle::Normal,
    );
    if t.vertical {
        font = font.transform(FontTransform::Rotate270);
    }
    let style = font
        .color(&t.color.plotters())
        .pos(Pos::new(h, VPos::Center));
    area.draw(&plotters::element::Text::new(
        t.text.clone(),
        px((t.x, t.y)),
        style,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_follow_the_anchor_and_the_rotation() {
        let t = Text::new(100.0, 50.0, "0.5", 14.0);
        let b = t.bounds();
        assert!(b.x0 == 100.0 && b.x1 > 100.0 && b.y0 < 50.0 && b.y1 > 50.0);
        let e = t.clone().anchor(Anchor::End).bounds();
        assert!(e.x1 == 100.0 && e.x0 < 100.0);
        let v = Text::new(20.0, 300.0, "median TFLOP/s", 15.0)
            .anchor(Anchor::Middle)
            .vertical()
            .bounds();
        assert!(v.x1 - v.x0 < 25.0 && v.y1 - v.y0 > 80.0 && v.y0 < 300.0 && v.y1 > 300.0);
    }

    #[test]
    fn svg_escapes_text_and_carries_hover_titles() {
        let mut s = Scene::new((200, 100));
        s.text(Text::new(10.0, 10.0, "a<b & \u{1b}[31m", 13.0));
        s.hovers.push(Hover {
            x: 5.0,
            y: 5.0,
            r: 6.0,
            title: "cpu:0 0.5 TFLOP/s".into(),
        });
        let svg = s.to_svg();
        assert!(svg.contains(">a&lt;b &amp; \\u{1b}[31m</text>"), "{svg}");
        assert!(svg.contains("<title>cpu:0 0.5 TFLOP/s</title>"));
        assert!(svg.contains("viewBox=\"0 0 200 100\""));
    }
}
