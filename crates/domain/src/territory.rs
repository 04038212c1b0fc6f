//! CISAC TIS territories: numeric codes (TIS-N), their ISO alpha mapping, and the hierarchy that resolves a
//! group such as 2136 World or 2120 Europe down to the countries it covers on a given date.
//!
//! The tables are CISAC's, vendored under `data/tis/` and compiled in; [`Territories::cisac`] parses them
//! once. Country sets are bitsets, so resolving a CWR inclusion or exclusion costs a few word operations.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A TIS-N code, e.g. 752 Sweden, 2136 World.
pub type TisCode = u16;

/// TIS-N for the whole world, the territory nearly every CWR share record names.
pub const WORLD: TisCode = 2136;

/// Whether a TIS territory is one country or a group of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TerritoryKind {
    Country,
    Group,
}

/// One territory of the TIS list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Territory {
    pub tis: TisCode,
    /// ISO 3166-1 alpha-2 for countries; CISAC's own `2XX` codes for groups.
    pub tis_alpha: String,
    pub name: String,
    pub kind: TerritoryKind,
    pub exists_from: NaiveDate,
    pub exists_until: NaiveDate,
}

/// A set of countries, as a bitset over the TIS country list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CountrySet([u64; 4]);

impl CountrySet {
    pub fn insert(&mut self, index: usize) {
        self.0[index / 64] |= 1 << (index % 64);
    }
    pub fn contains(&self, index: usize) -> bool {
        self.0[index / 64] & (1 << (index % 64)) != 0
    }
    pub fn union(&self, other: &CountrySet) -> CountrySet {
        CountrySet(std::array::from_fn(|i| self.0[i] | other.0[i]))
    }
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }
    pub fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        (0..256).filter(|&i| self.contains(i))
    }
}

#[derive(Debug, Clone)]
struct Membership {
    child: TisCode,
    from: NaiveDate,
    until: NaiveDate,
}

/// The TIS tables, indexed.
#[derive(Debug)]
pub struct Territories {
    by_code: HashMap<TisCode, Territory>,
    by_alpha: HashMap<String, TisCode>,
    children: HashMap<TisCode, Vec<Membership>>,
    /// Country index (for [`CountrySet`]) → TIS code.
    countries: Vec<TisCode>,
    country_index: HashMap<TisCode, usize>,
    /// Resolved country sets by (territory, day): the same few (World on today's date) are asked for
    /// millions of times during an import.
    resolved: Mutex<HashMap<(TisCode, NaiveDate), CountrySet>>,
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%d.%m.%Y").ok()
}

/// Splits one CSV line with RFC 4180 quoting (the TIS tables quote names that contain commas).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut current)),
            (c, _) => current.push(c),
        }
    }
    fields.push(current);
    fields
}

impl Territories {
    /// The CISAC TIS tables compiled into Tantiem (see `data/tis/PROVENANCE.md`).
    pub fn cisac() -> &'static Territories {
        static TABLES: OnceLock<Territories> = OnceLock::new();
        TABLES.get_or_init(|| {
            Territories::from_csv(include_str!("../data/tis/list.csv"), include_str!("../data/tis/tree.csv"))
                .expect("the vendored TIS tables are well-formed")
        })
    }

    /// Builds the index from the two TIS CSV tables. Errors name the table and line.
    pub fn from_csv(list_csv: &str, tree_csv: &str) -> Result<Territories, String> {
        let mut by_code = HashMap::new();
        for (number, line) in list_csv.lines().enumerate().skip(1) {
            let f = csv_fields(line);
            let bad = || format!("list.csv line {}: malformed territory row", number + 1);
            if f.len() < 10 {
                return Err(bad());
            }
            let tis: TisCode = f[0].parse().map_err(|_| bad())?;
            let kind = if f[3] == "LND" { TerritoryKind::Country } else { TerritoryKind::Group };
            let name_until = parse_date(&f[8]).ok_or_else(bad)?;
            let territory = Territory {
                tis,
                tis_alpha: f[5].clone(),
                name: f[9].clone(),
                kind,
                exists_from: parse_date(&f[1]).ok_or_else(bad)?,
                exists_until: parse_date(&f[2]).ok_or_else(bad)?,
            };
            // A territory has one row per name it has had; keep the most recent name.
            let newer = by_code.get(&tis).is_none_or(|(until, _): &(NaiveDate, Territory)| name_until >= *until);
            if newer {
                by_code.insert(tis, (name_until, territory));
            }
        }
        let by_code: HashMap<TisCode, Territory> = by_code.into_iter().map(|(k, (_, t))| (k, t)).collect();

        let mut children: HashMap<TisCode, Vec<Membership>> = HashMap::new();
        let mut stack: Vec<TisCode> = Vec::new();
        for (number, line) in tree_csv.lines().enumerate().skip(1) {
            let f = csv_fields(line);
            let bad = || format!("tree.csv line {}: malformed hierarchy row", number + 1);
            if f.len() < 10 {
                return Err(bad());
            }
            let level: usize = f[0].parse().map_err(|_| bad())?;
            let tis: TisCode = f[1].parse().map_err(|_| bad())?;
            if level == 0 || level > stack.len() + 1 {
                return Err(bad());
            }
            stack.truncate(level - 1);
            if let Some(&parent) = stack.last() {
                let from = parse_date(&f[7]).or_else(|| parse_date(&f[2])).ok_or_else(bad)?;
                let until = parse_date(&f[8]).or_else(|| parse_date(&f[3])).ok_or_else(bad)?;
                children.entry(parent).or_default().push(Membership { child: tis, from, until });
            }
            stack.push(tis);
        }

        let mut countries: Vec<TisCode> =
            by_code.values().filter(|t| t.kind == TerritoryKind::Country).map(|t| t.tis).collect();
        countries.sort_unstable();
        if countries.len() > 256 {
            return Err(format!("{} countries do not fit the 256-country bitset", countries.len()));
        }
        let country_index = countries.iter().enumerate().map(|(i, &c)| (c, i)).collect();
        let by_alpha = by_code.values().map(|t| (t.tis_alpha.clone(), t.tis)).collect();
        Ok(Territories { by_code, by_alpha, children, countries, country_index, resolved: Mutex::default() })
    }

    pub fn get(&self, tis: TisCode) -> Option<&Territory> {
        self.by_code.get(&tis)
    }

    /// Maps an ISO 3166-1 alpha-2 code (as agreements and DSR files use) to its TIS-N code.
    pub fn from_iso(&self, alpha2: &str) -> Option<TisCode> {
        let upper = alpha2.trim().to_ascii_uppercase();
        self.by_alpha.get(&upper).copied().filter(|t| self.by_code[t].kind == TerritoryKind::Country)
    }

    pub fn country_at(&self, index: usize) -> TisCode {
        self.countries[index]
    }

    /// The countries a territory covers on `date` (a country covers itself).
    pub fn countries_of(&self, tis: TisCode, date: NaiveDate) -> CountrySet {
        if let Some(set) = self.resolved.lock().ok().and_then(|cache| cache.get(&(tis, date)).copied()) {
            return set;
        }
        let mut set = CountrySet::default();
        self.collect_countries(tis, date, &mut set, 0);
        if let Ok(mut cache) = self.resolved.lock() {
            if cache.len() > 100_000 {
                cache.clear(); // bounded: dates vary only between files
            }
            cache.insert((tis, date), set);
        }
        set
    }

    fn collect_countries(&self, tis: TisCode, date: NaiveDate, set: &mut CountrySet, depth: usize) {
        if depth > 8 {
            return; // the TIS outline is five levels deep; deeper means a cycle in edited data
        }
        if let Some(&index) = self.country_index.get(&tis) {
            set.insert(index);
        }
        for m in self.children.get(&tis).into_iter().flatten() {
            if m.from <= date && date <= m.until {
                self.collect_countries(m.child, date, set, depth + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
    }

    #[test]
    fn world_and_groups_resolve_to_countries() {
        let t = Territories::cisac();
        let world = t.countries_of(WORLD, today());
        assert!(world.len() > 190, "world has {} countries", world.len());
        let sweden = t.from_iso("se").unwrap();
        assert_eq!(sweden, 752);
        assert_eq!(t.get(sweden).unwrap().name, "SWEDEN");
        let nordic = t.countries_of(2127, today());
        let names: Vec<&str> = nordic.indices().map(|i| t.get(t.country_at(i)).unwrap().name.as_str()).collect();
        assert_eq!(names, ["DENMARK", "FINLAND", "ICELAND", "NORWAY", "SWEDEN"]);
        assert!(world.contains(t.country_index[&752]));
        assert_eq!(t.countries_of(752, today()).len(), 1);
    }

    #[test]
    fn membership_is_dated() {
        let t = Territories::cisac();
        // Sweden joined the European Union (2123) on 1 January 1995.
        let eu_1990 = t.countries_of(2123, NaiveDate::from_ymd_opt(1990, 1, 1).unwrap());
        let eu_now = t.countries_of(2123, today());
        let sweden = t.country_index[&752];
        assert!(!eu_1990.contains(sweden));
        assert!(eu_now.contains(sweden));
    }

    #[test]
    fn quoted_csv_fields() {
        assert_eq!(csv_fields(r#"1,"A, B","""x""""#), vec!["1", "A, B", "\"x\""]);
    }
}
