//! Charts for BENCHMARKS.md: one horizontal bar per measure at its median, with a whisker from
//! its minimum to its maximum, as a self-contained SVG.

use crate::stats::Spread;

/// One bar: its label and the spread of its runs.
pub(crate) struct Bar {
    pub(crate) label: String,
    pub(crate) spread: Spread,
}

impl Bar {
    pub(crate) fn new(label: impl Into<String>, spread: Spread) -> Bar {
        Bar {
            label: label.into(),
            spread,
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The bars under `title`, scaled to the largest maximum, `unit` after each median.
pub(crate) fn bars(title: &str, unit: &str, bars: &[Bar]) -> String {
    let (w, left, right, top, row) = (760.0, 300.0, 110.0, 40.0, 26.0);
    let h = top + row * bars.len() as f64 + 30.0;
    let max = bars
        .iter()
        .map(|b| b.spread.max)
        .filter(|v| v.is_finite())
        .fold(f64::EPSILON, f64::max)
        * 1.05;
    let x = |v: f64| left + (w - left - right) * (v.max(0.0) / max);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">{}</text>\n",
        w / 2.0,
        escape(title)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = top + row * i as f64;
        let s = bar.spread;
        let (x0, xm, xmin, xmax) = (x(0.0), x(s.median), x(s.min), x(s.max));
        let mid = y + row / 2.0 - 3.0;
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#1f77b4\" opacity=\"0.8\"/>\n<line x1=\"{xmin:.1}\" x2=\"{xmax:.1}\" y1=\"{mid:.1}\" y2=\"{mid:.1}\" stroke=\"black\"/>\n<line x1=\"{xmin:.1}\" x2=\"{xmin:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"black\"/>\n<line x1=\"{xmax:.1}\" x2=\"{xmax:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"black\"/>\n<text x=\"{:.1}\" y=\"{:.1}\">{} {}</text>\n",
            left - 8.0,
            mid + 4.0,
            escape(&bar.label),
            y + 2.0,
            (xm - x0).max(0.5),
            row - 10.0,
            mid - 5.0,
            mid + 5.0,
            mid - 5.0,
            mid + 5.0,
            xmax.max(xm) + 6.0,
            mid + 4.0,
            format_value(s.median),
            escape(unit)
        ));
    }
    svg.push_str(&format!(
        "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\">bar: median; whisker: minimum to maximum of the runs</text>\n</svg>\n",
        w / 2.0,
        h - 8.0
    ));
    svg
}

fn format_value(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bar_and_whisker_per_measure() {
        let svg = bars(
            "a <title>",
            "MiB/s",
            &[
                Bar::new("ours", Spread::of(vec![1.0, 2.0, 3.0])),
                Bar::new("curl & co", Spread::of(vec![250.0, 300.0, 310.0])),
            ],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<rect x=").count(), 2);
        assert!(svg.contains("a &lt;title&gt;") && svg.contains("curl &amp; co"));
        assert!(svg.contains(">2.00 MiB/s<") && svg.contains(">300 MiB/s<"));
    }
}
