//! VAT treatment of a licence invoice, decided from the society's and the licensee's countries: domestic
//! customers pay the society's country's standard rate; a business in another EU member state with a VAT
//! number accounts for the VAT itself (reverse charge, VAT Directive art. 196); customers outside the EU are
//! outside the scope of EU VAT. Rates are data (`data/vat.csv`, the European Commission's table of standard
//! rates), to be updated when a state changes its rate.

use std::collections::HashMap;
use std::sync::OnceLock;

use money::Share;
use rating::Vat;

struct Country {
    iso: String,
    name: String,
    eu: bool,
    rate: Share,
}

fn countries() -> &'static [Country] {
    static TABLE: OnceLock<Vec<Country>> = OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("../data/vat.csv")
            .lines()
            .skip(1)
            .filter_map(|line| {
                let cells: Vec<&str> = line.split(',').collect();
                Some(Country {
                    iso: cells.first()?.to_string(),
                    name: cells.get(1)?.to_string(),
                    eu: *cells.get(2)? == "1",
                    rate: Share::parse_percent(cells.get(3)?).ok()?,
                })
            })
            .collect()
    })
}

/// The ISO code of a country given by ISO code or by the English name the CISAC society table uses.
pub fn iso_code(country: &str) -> Option<&'static str> {
    static BY_NAME: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    let map = BY_NAME.get_or_init(|| {
        countries().iter().flat_map(|c| [(c.iso.clone(), c.iso.as_str()), (c.name.clone(), c.iso.as_str())]).collect()
    });
    map.get(&country.trim().to_ascii_uppercase()).copied()
}

fn country(iso: &str) -> Option<&'static Country> {
    countries().iter().find(|c| c.iso.eq_ignore_ascii_case(iso))
}

/// The VAT treatment of an invoice from a society in `society_country` to a licensee in `customer_country`.
/// A society whose country the table does not know is an error (never a silent zero rate); a customer in a
/// country the table does not list is outside the EU.
pub fn treatment(
    society_country: &str,
    customer_country: &str,
    customer_vat_number: Option<&str>,
) -> Result<Vat, String> {
    let seller = iso_code(society_country).and_then(country).ok_or_else(|| {
        format!(
            "the society's country {society_country:?} is not in the VAT table (crates/licensing/data/vat.csv): add it"
        )
    })?;
    let Some(buyer) = iso_code(customer_country).and_then(country) else { return Ok(Vat::OutOfScope) };
    if seller.iso == buyer.iso {
        return Ok(Vat::Charged(seller.rate));
    }
    Ok(match (seller.eu, buyer.eu, customer_vat_number.is_some_and(|v| !v.trim().is_empty())) {
        (true, true, true) => Vat::ReverseCharge,
        // A customer in the EU without a VAT number is treated as a consumer: the seller's rate applies.
        (true, true, false) => Vat::Charged(seller.rate),
        _ => Vat::OutOfScope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domestic_reverse_charge_and_out_of_scope() {
        assert_eq!(treatment("SWEDEN", "SE", None), Ok(Vat::Charged(Share::parse_percent("25").unwrap())));
        assert_eq!(treatment("SWEDEN", "DE", Some("DE123456789")), Ok(Vat::ReverseCharge));
        assert_eq!(treatment("FINLAND", "FI", None), Ok(Vat::Charged(Share::parse_percent("25.5").unwrap())));
        assert_eq!(treatment("SWEDEN", "US", Some("x")), Ok(Vat::OutOfScope));
        assert_eq!(treatment("SWEDEN", "JP", None), Ok(Vat::OutOfScope));
        assert_eq!(treatment("NORWAY", "SE", Some("SE1")), Ok(Vat::OutOfScope));
        assert_eq!(treatment("NORWAY", "NO", None), Ok(Vat::Charged(Share::parse_percent("25").unwrap())));
        assert!(treatment("ATLANTIS", "SE", None).is_err());
    }
}
