//! The one summary every scenario reports: minimum, median and maximum of its runs.

use serde::Serialize;

/// Minimum, median and maximum of one measure over its runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct Spread {
    pub(crate) min: f64,
    pub(crate) median: f64,
    pub(crate) max: f64,
}

impl Spread {
    /// The spread of `values`; NaN everywhere when there are none.
    pub(crate) fn of(mut values: Vec<f64>) -> Spread {
        values.sort_by(f64::total_cmp);
        Spread {
            min: values.first().copied().unwrap_or(f64::NAN),
            median: median_of_sorted(&values),
            max: values.last().copied().unwrap_or(f64::NAN),
        }
    }
}

/// The median of `values` (the upper one of an even count).
pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    median_of_sorted(&values)
}

fn median_of_sorted(values: &[f64]) -> f64 {
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_of_unsorted_runs() {
        let s = Spread::of(vec![3.0, 1.0, 5.0, 2.0, 4.0]);
        assert_eq!((s.min, s.median, s.max), (1.0, 3.0, 5.0));
        assert!(Spread::of(Vec::new()).median.is_nan());
        assert_eq!(median(vec![2.0, 1.0]), 2.0);
    }
}
