//! The reserve's legal clocks (CMO Directive 2014/26/EU, Art. 13): money collected in a financial year is
//! distributed within nine months of its end; what could not be (its owner unknown) is listed to members
//! within three months after that and published within a year, and becomes non-distributable three years
//! after the year's end. The year counted is the one the period of use falls in.

use chrono::{Datelike, Months, NaiveDate};
use domain::Period;
use serde::{Deserialize, Serialize};

use crate::rules::DistributionRules;

/// The days that matter for money of one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clocks {
    /// The last day of the financial year the period falls in.
    pub year_end: NaiveDate,
    /// Distributed by this day (nine months after the year's end).
    pub distribute_by: NaiveDate,
    /// Unidentified works listed to members by this day (three months after that).
    pub list_by: NaiveDate,
    /// ... and published by this day (a year after the distribution deadline).
    pub publish_by: NaiveDate,
    /// From this day the money is non-distributable (three years after the year's end).
    pub non_distributable_on: NaiveDate,
}

impl Clocks {
    pub fn of(period: Period, rules: &DistributionRules) -> Clocks {
        let month = rules.financial_year_end_month.clamp(1, 12);
        let last = period.last_day();
        let year = if last.month() <= month { last.year() } else { last.year() + 1 };
        let year_end = last_day_of(year, month);
        let months = |from: NaiveDate, n: u32| last_of_month(from.checked_add_months(Months::new(n)).unwrap_or(from));
        Clocks {
            year_end,
            distribute_by: months(year_end, 9),
            list_by: months(year_end, 12),
            publish_by: months(year_end, 21),
            non_distributable_on: months(year_end, 36).succ_opt().unwrap_or(year_end),
        }
    }
}

fn last_day_of(year: i32, month: u32) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN);
    last_of_month(first)
}

fn last_of_month(day: NaiveDate) -> NaiveDate {
    Period::month_of(day).last_day()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_clocks_run_from_the_end_of_the_financial_year() {
        let rules = DistributionRules::default();
        let march = Clocks::of(Period::month(2026, 3).unwrap(), &rules);
        assert_eq!(march.year_end, day(2026, 12, 31));
        assert_eq!(march.distribute_by, day(2027, 9, 30));
        assert_eq!(march.list_by, day(2027, 12, 31));
        assert_eq!(march.publish_by, day(2028, 9, 30));
        assert_eq!(march.non_distributable_on, day(2030, 1, 1));
        // A year ending in June: July belongs to the next one.
        let june = DistributionRules { financial_year_end_month: 6, ..rules };
        assert_eq!(Clocks::of(Period::month(2026, 7).unwrap(), &june).year_end, day(2027, 6, 30));
        assert_eq!(Clocks::of(Period::month(2026, 6).unwrap(), &june).year_end, day(2026, 6, 30));
    }
}
