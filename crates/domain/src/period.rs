//! Reporting periods: a calendar month (`2026-03`, the default reporting duty) or a calendar quarter
//! (`2026-Q1`, what many DSR files cover). A period is rated under the agreement version in force on its
//! first day.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// A month or a quarter, written `YYYY-MM` or `YYYY-Qn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Period {
    first_day: NaiveDate,
    months: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid period {0:?}: write a month as 2026-03 or a quarter as 2026-Q1")]
pub struct PeriodError(pub String);

impl Period {
    pub fn month(year: i32, month: u32) -> Option<Period> {
        Some(Period { first_day: NaiveDate::from_ymd_opt(year, month, 1)?, months: 1 })
    }

    pub fn quarter(year: i32, quarter: u32) -> Option<Period> {
        if !(1..=4).contains(&quarter) {
            return None;
        }
        Some(Period { first_day: NaiveDate::from_ymd_opt(year, (quarter - 1) * 3 + 1, 1)?, months: 3 })
    }

    /// The month or quarter exactly spanning `start..=end`, if there is one.
    pub fn spanning(start: NaiveDate, end: NaiveDate) -> Option<Period> {
        let month = Period::month(start.year(), start.month())?;
        let quarter = Period::quarter(start.year(), (start.month() - 1) / 3 + 1)?;
        [month, quarter].into_iter().find(|p| p.first_day == start && p.last_day() == end)
    }

    /// The month containing `day`.
    pub fn month_of(day: NaiveDate) -> Period {
        Period { first_day: day.with_day(1).unwrap_or(day), months: 1 }
    }

    pub fn first_day(self) -> NaiveDate {
        self.first_day
    }

    pub fn last_day(self) -> NaiveDate {
        self.first_day.checked_add_months(Months::new(self.months)).and_then(|d| d.pred_opt()).unwrap_or(self.first_day)
    }

    pub fn contains(self, day: NaiveDate) -> bool {
        self.first_day <= day && day <= self.last_day()
    }

    /// The months a period covers (one, or three for a quarter).
    pub fn months(self) -> Vec<Period> {
        (0..self.months)
            .filter_map(|i| self.first_day.checked_add_months(Months::new(i)))
            .map(Period::month_of)
            .collect()
    }

    /// The period of the same length that follows.
    pub fn next(self) -> Period {
        Period {
            first_day: self.first_day.checked_add_months(Months::new(self.months)).unwrap_or(self.first_day),
            ..self
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.months == 3 {
            write!(f, "{}-Q{}", self.first_day.year(), (self.first_day.month() - 1) / 3 + 1)
        } else {
            write!(f, "{}-{:02}", self.first_day.year(), self.first_day.month())
        }
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(text: &str) -> Result<Period, PeriodError> {
        let error = || PeriodError(text.to_owned());
        let (year, rest) = text.trim().split_once('-').ok_or_else(error)?;
        if year.len() != 4 {
            return Err(error());
        }
        let year: i32 = year.parse().map_err(|_| error())?;
        let parsed = match rest.strip_prefix('Q') {
            Some(q) if q.len() == 1 => Period::quarter(year, q.parse().map_err(|_| error())?),
            None if rest.len() == 2 => Period::month(year, rest.parse().map_err(|_| error())?),
            _ => None,
        };
        parsed.ok_or_else(error)
    }
}

impl TryFrom<String> for Period {
    type Error = PeriodError;
    fn try_from(text: String) -> Result<Period, PeriodError> {
        text.parse()
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn months_and_quarters_read_and_write_back() {
        let march: Period = "2026-03".parse().unwrap();
        assert_eq!((march.first_day(), march.last_day()), (day(2026, 3, 1), day(2026, 3, 31)));
        assert_eq!(march.next().to_string(), "2026-04");
        let q4: Period = "2015-Q4".parse().unwrap();
        assert_eq!((q4.first_day(), q4.last_day()), (day(2015, 10, 1), day(2015, 12, 31)));
        assert_eq!(q4.to_string(), "2015-Q4");
        assert_eq!(q4.months().iter().map(ToString::to_string).collect::<Vec<_>>(), ["2015-10", "2015-11", "2015-12"]);
        assert_eq!(Period::spanning(day(2015, 10, 1), day(2015, 12, 31)), Some(q4));
        assert_eq!(Period::spanning(day(2015, 10, 1), day(2015, 12, 30)), None);
        assert_eq!("2024-02".parse::<Period>().unwrap().last_day(), day(2024, 2, 29));
        for bad in ["2026-13", "2026-Q5", "26-03", "2026-3", "2026/03", "", "2026-Q"] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }
}
