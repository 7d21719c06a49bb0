//! Line charts of indicator series as plain geometry — a polyline, dots and axis ticks in
//! pixels — so a template draws them as SVG without doing arithmetic.

use serde::Serialize;

const WIDTH: f64 = 520.0;
const HEIGHT: f64 = 220.0;
/// Room for the axis labels: left, right, top, bottom.
const MARGIN: (f64, f64, f64, f64) = (48.0, 14.0, 12.0, 28.0);

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Tick {
    pub at: f64,
    pub label: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Dot {
    pub x: f64,
    pub y: f64,
    pub year: i64,
    pub value: String,
}

/// One series drawn in a `width` × `height` box; the plot area is `left..right`,
/// `top..bottom`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LineChart {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    /// `x,y x,y …` for an SVG `polyline`.
    pub points: String,
    pub dots: Vec<Dot>,
    pub x_ticks: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
}

/// A value as people write it: no trailing zeros, at most two decimals.
pub fn number(value: f64) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

/// A step of 1, 2 or 5 times a power of ten giving about `count` intervals over `span`.
fn nice_step(span: f64, count: f64) -> f64 {
    let raw = (span / count).max(f64::MIN_POSITIVE);
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * power);
    if step.is_finite() { step } else { 1.0 }
}

/// The chart of (year, value) points in year order; `None` when there is nothing to draw.
pub fn line(series: &[(i64, f64)]) -> Option<LineChart> {
    let finite: Vec<(i64, f64)> = series.iter().copied().filter(|p| p.1.is_finite()).collect();
    let (first, last) = (finite.first()?.0, finite.last()?.0);
    let (left, right) = (MARGIN.0, WIDTH - MARGIN.1);
    let (top, bottom) = (MARGIN.2, HEIGHT - MARGIN.3);
    let low = finite.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let high = finite.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let span = if high - low > 1e-9 {
        high - low
    } else {
        high.abs().max(1.0)
    };
    let step = nice_step(span, 4.0);
    let (y_min, mut y_max) = ((low / step).floor() * step, (high / step).ceil() * step);
    if y_max <= y_min {
        y_max = y_min + step;
    }
    let x_span = (last - first).max(1) as f64;
    let x_of = |year: i64| left + (year - first) as f64 / x_span * (right - left);
    let y_of = |value: f64| bottom - (value - y_min) / (y_max - y_min) * (bottom - top);
    let round = |v: f64| (v * 10.0).round() / 10.0;
    let dots: Vec<Dot> = finite
        .iter()
        .map(|&(year, value)| Dot {
            x: round(x_of(year)),
            y: round(y_of(value)),
            year,
            value: number(value),
        })
        .collect();
    let points = dots
        .iter()
        .map(|d| format!("{},{}", d.x, d.y))
        .collect::<Vec<_>>()
        .join(" ");
    let year_step = nice_step(x_span, 6.0).max(1.0) as i64;
    let x_ticks = (first..=last)
        .filter(|y| (y - first) % year_step == 0)
        .map(|y| Tick {
            at: round(x_of(y)),
            label: y.to_string(),
        })
        .collect();
    // Capped, so that absurd values cannot ask for millions of ticks.
    let y_ticks = (0..=(((y_max - y_min) / step).round() as i64).min(20))
        .map(|k| y_min + k as f64 * step)
        .map(|v| Tick {
            at: round(y_of(v)),
            label: number(v),
        })
        .collect();
    Some(LineChart {
        width: WIDTH,
        height: HEIGHT,
        left,
        right,
        top,
        bottom,
        points,
        dots,
        x_ticks,
        y_ticks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_span_the_plot_area_and_ticks_are_round() {
        let chart = line(&[(2005, 37.9), (2010, 49.3), (2021, 54.5)]).unwrap();
        assert_eq!(chart.dots[0].x, chart.left);
        assert_eq!(chart.dots[2].x, chart.right);
        let labels: Vec<&str> = chart.y_ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["35", "40", "45", "50", "55"]);
        assert!(
            chart
                .dots
                .iter()
                .all(|d| d.y >= chart.top && d.y <= chart.bottom)
        );
        assert_eq!(
            chart.x_ticks.first().map(|t| t.label.as_str()),
            Some("2005")
        );
    }

    #[test]
    fn flat_single_and_empty_series_do_not_break() {
        let flat = line(&[(2020, 5.0), (2021, 5.0)]).unwrap();
        assert!(flat.dots.iter().all(|d| d.y.is_finite()));
        let single = line(&[(2020, -3.0)]).unwrap();
        assert_eq!(single.dots.len(), 1);
        assert!(line(&[]).is_none());
        assert!(line(&[(2020, f64::NAN)]).is_none());
        let absurd = line(&[(2020, -1e308), (2021, 1e308)]).unwrap();
        assert!(absurd.y_ticks.len() <= 21);
    }

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(number(54.50), "54.5");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(-0.001), "0");
    }
}
