//! Currencies Tantiem invoices and distributes in, with the number of minor units each pays out in.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::MoneyError;

/// An ISO 4217 currency. The Nordic currencies and the ones AI licensees report in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Currency {
    EUR,
    SEK,
    NOK,
    DKK,
    ISK,
    USD,
    GBP,
    CHF,
}

impl Currency {
    pub const ALL: [Currency; 8] = [
        Currency::EUR,
        Currency::SEK,
        Currency::NOK,
        Currency::DKK,
        Currency::ISK,
        Currency::USD,
        Currency::GBP,
        Currency::CHF,
    ];

    /// The ISO 4217 alphabetic code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::EUR => "EUR",
            Currency::SEK => "SEK",
            Currency::NOK => "NOK",
            Currency::DKK => "DKK",
            Currency::ISK => "ISK",
            Currency::USD => "USD",
            Currency::GBP => "GBP",
            Currency::CHF => "CHF",
        }
    }

    /// Decimals of the smallest unit actually paid out (ISO 4217 "minor unit"): ISK has none.
    pub fn minor_unit_digits(self) -> u32 {
        match self {
            Currency::ISK => 0,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let upper = text.trim().to_ascii_uppercase();
        Currency::ALL
            .into_iter()
            .find(|c| c.code() == upper)
            .ok_or_else(|| MoneyError::UnknownCurrency(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for currency in Currency::ALL {
            assert_eq!(currency.code().parse::<Currency>(), Ok(currency));
        }
        assert_eq!("sek".parse::<Currency>(), Ok(Currency::SEK));
        assert!("XBT".parse::<Currency>().is_err());
        assert_eq!(Currency::ISK.minor_unit_digits(), 0);
    }
}
