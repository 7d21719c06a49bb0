//! Lists of lists in two flat vectors: a row per instrument without an allocation per
//! row, which at national scale is hundreds of thousands of allocations saved.

/// Rows of `T` stored end to end; row `i` is `items[starts[i]..starts[i + 1]]`.
#[derive(Debug)]
pub struct Ragged<T> {
    starts: Vec<u32>,
    items: Vec<T>,
}

impl<T> Ragged<T> {
    /// One row per item of `rows`, in order.
    pub fn from_rows<R: IntoIterator<Item = T>>(rows: impl IntoIterator<Item = R>) -> Self {
        let rows = rows.into_iter();
        let mut starts = Vec::with_capacity(rows.size_hint().0 + 1);
        let mut items = Vec::new();
        starts.push(0);
        for row in rows {
            items.extend(row);
            starts.push(items.len() as u32);
        }
        starts.shrink_to_fit();
        items.shrink_to_fit();
        Ragged { starts, items }
    }

    /// Row `i`; empty past the last row.
    pub fn row(&self, i: u32) -> &[T] {
        let i = i as usize;
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&from), Some(&to)) => &self.items[from as usize..to as usize],
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_come_back_as_they_went_in_and_empty_past_the_end() {
        let rows = Ragged::from_rows(vec![vec![1, 2], vec![], vec![3]]);
        assert_eq!(rows.row(0), &[1, 2]);
        assert_eq!(rows.row(1), &[] as &[i32]);
        assert_eq!(rows.row(2), &[3]);
        assert_eq!(rows.row(3), &[] as &[i32]);
    }
}
