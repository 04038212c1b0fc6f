//! Rating a period: the tariff applied to a period's new model versions, service usage and output usage,
//! giving itemised invoice lines per stage, territory and rule, the minimum guarantee applied, and VAT
//! (or its reverse charge). Numbering, due dates, payment and the ledger postings belong to the engine.

use money::{Amount, Share};
use serde::{Deserialize, Serialize};

use crate::{BusinessTier, Charge, RatingError, Tariff, TrailStep, UseType};

/// A model version trained (or first licensed) in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingUsage {
    pub model_version: String,
    pub tier: BusinessTier,
    /// Works the fee is priced on: matched licensed works, or the whole licensed repertoire by presumption.
    pub works_used: u64,
    /// Matched licensed works the disclosure itself names.
    pub works_disclosed: u64,
}

/// One service report line: a territory's revenue and users for the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceUsage {
    pub service: String,
    /// ISO 3166 alpha-2.
    pub territory: String,
    pub net_revenue: Amount,
    pub subscribers: u64,
    pub generations: u64,
}

/// Output exploitation summed per use type and territory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputUsage {
    pub use_type: UseType,
    pub territory: String,
    pub revenue: Amount,
    pub usages: u64,
}

/// How VAT applies to this licensee (decided by the caller from both parties' countries and VAT status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Vat {
    /// VAT at this rate is added.
    Charged(Share),
    /// A business customer in another EU member state accounts for the VAT itself.
    ReverseCharge,
    /// Outside the scope of EU VAT (e.g. a customer outside the EU).
    OutOfScope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Training,
    Service,
    Output,
    /// A top-up to the agreement's minimum guarantee.
    Guarantee,
    /// An advance on royalties, invoiced once when the agreement says so.
    Advance,
    /// The part of a period's charges met by an advance paid earlier (a negative line).
    AdvanceRecouped,
}

/// One invoice line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub stage: Stage,
    /// The model version a training line licenses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
    /// The service a service line licenses (distribution follows its model versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub description: String,
    pub territory: Option<String>,
    pub charge: Charge,
    /// The part of the line owed only because of the presumption rule (held, not yet distributable).
    pub presumption_part: Amount,
}

/// A rated period, before it is numbered and posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatedPeriod {
    pub lines: Vec<InvoiceLine>,
    pub net: Amount,
    pub vat: Amount,
    pub vat_note: String,
    pub total: Amount,
    pub presumption_held: Amount,
    /// The VAT rate charged, when VAT is charged (a credit of part of the invoice credits VAT at it too).
    #[serde(default)]
    pub vat_rate: Option<Share>,
}

impl RatedPeriod {
    /// The same period with every amount negated: what a credit note cancelling it states.
    pub fn negated(&self) -> Result<RatedPeriod, RatingError> {
        let mut lines = self.lines.clone();
        for l in &mut lines {
            l.charge.amount = l.charge.amount.checked_neg()?;
            l.presumption_part = l.presumption_part.checked_neg()?;
        }
        Ok(RatedPeriod {
            lines,
            net: self.net.checked_neg()?,
            vat: self.vat.checked_neg()?,
            vat_note: self.vat_note.clone(),
            total: self.total.checked_neg()?,
            presumption_held: self.presumption_held.checked_neg()?,
            vat_rate: self.vat_rate,
        })
    }
}

/// Rounds a line down to what is payable in the currency's minor units (cents; whole krónur for ISK),
/// leaving the step in its trail: the licensee never pays a fraction of a cent.
fn payable(mut line: InvoiceLine) -> InvoiceLine {
    let (amount, residual) = line.charge.amount.split_payable();
    if !residual.is_zero() {
        line.charge.trail.push(TrailStep { what: "rounded down to the payable unit".into(), amount });
        line.charge.amount = amount;
        line.presumption_part = line.presumption_part.split_payable().0;
    }
    line
}

/// What the agreement adds to a period's charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Adjustments {
    /// What the agreement guarantees for the period, topped up when the lines come to less.
    pub minimum_guarantee: Option<Amount>,
    /// The part of an advance not yet recouped: it meets the period's net charges first.
    pub advance_unrecouped: Option<Amount>,
}

/// Rates one period.
pub fn rate_period(
    tariff: &Tariff,
    training: &[TrainingUsage],
    service: &[ServiceUsage],
    output: &[OutputUsage],
    adjustments: Adjustments,
    vat: &Vat,
) -> Result<RatedPeriod, RatingError> {
    let minimum_guarantee = adjustments.minimum_guarantee;
    let zero = Amount::zero(tariff.currency);
    let mut lines = Vec::new();
    for t in training {
        let rated = tariff.training_fee(t.tier, t.works_used, t.works_disclosed)?;
        lines.push(InvoiceLine {
            stage: Stage::Training,
            model_version: Some(t.model_version.clone()),
            service: None,
            description: format!("training licence, model version {}", t.model_version),
            territory: None,
            charge: rated.charge,
            presumption_part: rated.presumption_part,
        });
    }
    for s in service {
        lines.push(InvoiceLine {
            stage: Stage::Service,
            model_version: None,
            service: Some(s.service.clone()),
            description: format!("service {}", s.service),
            territory: Some(s.territory.clone()),
            charge: tariff.service_fee(s.net_revenue, s.subscribers, s.generations)?,
            presumption_part: zero,
        });
    }
    for o in output {
        lines.push(InvoiceLine {
            stage: Stage::Output,
            model_version: None,
            service: None,
            description: format!("use of outputs: {}", o.use_type.0),
            territory: Some(o.territory.clone()),
            charge: tariff.output_fee(&o.use_type, o.revenue, o.usages)?,
            presumption_part: zero,
        });
    }
    let lines: Vec<InvoiceLine> = lines.into_iter().map(payable).collect();
    let mut lines = lines;
    let mut net = Amount::checked_sum(lines.iter().map(|l| l.charge.amount), tariff.currency)?;
    if let Some(guarantee) = minimum_guarantee.map(|g| g.split_payable().0) {
        if guarantee.currency() != tariff.currency {
            return Err(RatingError::WrongCurrency { tariff: tariff.currency, found: guarantee.currency() });
        }
        if guarantee.micros() > net.micros() {
            let top_up = guarantee.checked_sub(net)?;
            lines.push(InvoiceLine {
                stage: Stage::Guarantee,
                model_version: None,
                service: None,
                description: "minimum guarantee top-up".into(),
                territory: None,
                charge: Charge {
                    rule: "minimum guarantee".into(),
                    amount: top_up,
                    trail: vec![
                        TrailStep { what: "minimum guarantee for the period".into(), amount: guarantee },
                        TrailStep { what: "less the lines above".into(), amount: net },
                    ],
                },
                presumption_part: zero,
            });
            net = guarantee;
        }
    }
    if let Some(advance) = adjustments.advance_unrecouped.filter(|a| a.micros() > 0 && net.micros() > 0) {
        if advance.currency() != tariff.currency {
            return Err(RatingError::WrongCurrency { tariff: tariff.currency, found: advance.currency() });
        }
        let recouped = if advance.micros() < net.micros() { advance } else { net };
        lines.push(InvoiceLine {
            stage: Stage::AdvanceRecouped,
            model_version: None,
            service: None,
            description: "advance recouped (VAT was invoiced with the advance)".into(),
            territory: None,
            charge: Charge {
                rule: "advance".into(),
                amount: recouped.checked_neg()?,
                trail: vec![
                    TrailStep { what: "advance not yet recouped".into(), amount: advance },
                    TrailStep { what: "net charges of the period".into(), amount: net },
                ],
            },
            presumption_part: zero,
        });
        net = net.checked_sub(recouped)?;
    }
    finish(lines, net, vat, tariff.currency)
}

/// Rates an advance on royalties: one line, with VAT as for any invoice.
pub fn rate_advance(advance: Amount, vat: &Vat) -> Result<RatedPeriod, RatingError> {
    let advance = advance.split_payable().0;
    let line = InvoiceLine {
        stage: Stage::Advance,
        model_version: None,
        service: None,
        description: "advance on royalties, recouped from later periods".into(),
        territory: None,
        charge: Charge {
            rule: "advance".into(),
            amount: advance,
            trail: vec![TrailStep { what: "agreed advance".into(), amount: advance }],
        },
        presumption_part: Amount::zero(advance.currency()),
    };
    finish(vec![line], advance, vat, advance.currency())
}

/// Adds VAT (or its note) and the totals.
fn finish(
    lines: Vec<InvoiceLine>,
    net: Amount,
    vat: &Vat,
    currency: money::Currency,
) -> Result<RatedPeriod, RatingError> {
    let zero = Amount::zero(currency);
    let (vat_amount, vat_note) = match vat {
        Vat::Charged(rate) => (net.mul_share(*rate).0.split_payable().0, format!("VAT {rate}")),
        Vat::ReverseCharge => {
            (zero, "reverse charge: VAT to be accounted for by the customer (VAT Directive art. 196)".into())
        }
        Vat::OutOfScope => (zero, "outside the scope of EU VAT".into()),
    };
    let presumption_held = Amount::checked_sum(lines.iter().map(|l| l.presumption_part), currency)?;
    let vat_rate = match vat {
        Vat::Charged(rate) => Some(*rate),
        _ => None,
    };
    Ok(RatedPeriod {
        total: net.checked_add(vat_amount)?,
        net,
        vat: vat_amount,
        vat_note,
        lines,
        presumption_held,
        vat_rate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use money::Currency;

    const EUR: Currency = Currency::EUR;

    fn eur(text: &str) -> Amount {
        Amount::parse(text, EUR).unwrap()
    }

    /// One licensee (a small business), two model versions, three stages, two territories (SE, NO), priced
    /// by hand from `Tariff::illustrative(EUR)`:
    ///
    /// - training, `sf-1` (transparent, 1,200 works): 5,000 + 1,200 × 0.10 = 5,120.00
    /// - training, `sf-2` (presumed: 50,000 licensed works, 3,000 disclosed):
    ///   5,000 + 50,000 × 0.10 = 10,000.00, of which 47,000 × 0.10 = 4,700.00 held by presumption
    /// - service SE: 20,000.00 revenue × 30% = 6,000.00; 9,000 subscribers × 0.50 = 4,500.00;
    ///   2,000,000 generations × 0.001 = 2,000.00 → 6,000.00 (revenue share)
    /// - service NO: 3,000.00 × 30% = 900.00; 4,000 × 0.50 = 2,000.00; 500,000 × 0.001 = 500.00
    ///   → 2,000.00 (minimum per subscriber)
    /// - output SE streams: 1,000.00 × 15% = 150.00; 1,000,000 × 0.0005 = 500.00 → 500.00
    /// - output NO downloads: 400.00 × 15% = 60.00; 1,000 × 0.05 = 50.00 → 60.00
    ///
    /// Net 5,120 + 10,000 + 6,000 + 2,000 + 500 + 60 = 23,680.00; VAT 25% = 5,920.00; total 29,600.00.
    #[test]
    fn a_period_priced_end_to_end() {
        let tariff = Tariff::illustrative(EUR).unwrap();
        let training = [
            TrainingUsage {
                model_version: "sf-1".into(),
                tier: BusinessTier::Small,
                works_used: 1_200,
                works_disclosed: 1_200,
            },
            TrainingUsage {
                model_version: "sf-2".into(),
                tier: BusinessTier::Small,
                works_used: 50_000,
                works_disclosed: 3_000,
            },
        ];
        let service = [
            ServiceUsage {
                service: "app".into(),
                territory: "SE".into(),
                net_revenue: eur("20000"),
                subscribers: 9_000,
                generations: 2_000_000,
            },
            ServiceUsage {
                service: "app".into(),
                territory: "NO".into(),
                net_revenue: eur("3000"),
                subscribers: 4_000,
                generations: 500_000,
            },
        ];
        let output = [
            OutputUsage {
                use_type: UseType("stream".into()),
                territory: "SE".into(),
                revenue: eur("1000"),
                usages: 1_000_000,
            },
            OutputUsage {
                use_type: UseType("download".into()),
                territory: "NO".into(),
                revenue: eur("400"),
                usages: 1_000,
            },
        ];
        let vat = Vat::Charged(Share::parse_percent("25").unwrap());
        let rated = rate_period(&tariff, &training, &service, &output, Adjustments::default(), &vat).unwrap();
        let amounts: Vec<String> = rated.lines.iter().map(|l| l.charge.amount.to_string()).collect();
        assert_eq!(
            amounts,
            [
                "5120.000000 EUR",
                "10000.000000 EUR",
                "6000.000000 EUR",
                "2000.000000 EUR",
                "500.000000 EUR",
                "60.000000 EUR"
            ]
        );
        let rules: Vec<&str> = rated.lines.iter().map(|l| l.charge.rule.as_str()).collect();
        assert_eq!(
            rules[2..],
            ["share of net revenue", "minimum per subscriber", "minimum per usage", "share of output revenue"]
        );
        assert_eq!(rated.presumption_held, eur("4700"));
        assert_eq!((rated.net, rated.vat, rated.total), (eur("23680"), eur("5920"), eur("29600")));
    }

    #[test]
    fn guarantee_top_up_and_reverse_charge() {
        let tariff = Tariff::illustrative(EUR).unwrap();
        let output = [OutputUsage {
            use_type: UseType("stream".into()),
            territory: "FI".into(),
            revenue: eur("100"),
            usages: 10_000,
        }];
        // 100 × 15% = 15.00 beats 10,000 × 0.0005 = 5.00; the guarantee of 1,000.00 tops up 985.00.
        let guarantee = Adjustments { minimum_guarantee: Some(eur("1000")), advance_unrecouped: None };
        let rated = rate_period(&tariff, &[], &[], &output, guarantee, &Vat::ReverseCharge).unwrap();
        assert_eq!(rated.lines.last().map(|l| (l.stage, l.charge.amount)), Some((Stage::Guarantee, eur("985"))));
        assert_eq!((rated.net, rated.vat, rated.total), (eur("1000"), eur("0"), eur("1000")));
        assert!(rated.vat_note.contains("reverse charge"));
        let unlicensed =
            [OutputUsage { use_type: UseType("film".into()), territory: "FI".into(), revenue: eur("1"), usages: 1 }];
        assert!(matches!(
            rate_period(&tariff, &[], &[], &unlicensed, Adjustments::default(), &Vat::OutOfScope),
            Err(RatingError::UnlicensedUse(_))
        ));
    }

    #[test]
    fn an_advance_meets_the_net_charges_first() {
        let tariff = Tariff::illustrative(EUR).unwrap();
        let output = [OutputUsage {
            use_type: UseType("stream".into()),
            territory: "SE".into(),
            revenue: eur("1000"),
            usages: 1,
        }];
        let vat = Vat::Charged(Share::parse_percent("25").unwrap());
        // 1,000 × 15% = 150.00 net; 100.00 of advance left: 50.00 remains, VAT 12.50.
        let partly = Adjustments { minimum_guarantee: None, advance_unrecouped: Some(eur("100")) };
        let rated = rate_period(&tariff, &[], &[], &output, partly, &vat).unwrap();
        assert_eq!(rated.lines.last().map(|l| (l.stage, l.charge.amount)), Some((Stage::AdvanceRecouped, eur("-100"))));
        assert_eq!((rated.net, rated.vat, rated.total), (eur("50"), eur("12.5"), eur("62.5")));
        // With 1,000.00 left the whole 150.00 is met: nothing to pay.
        let wholly = Adjustments { minimum_guarantee: None, advance_unrecouped: Some(eur("1000")) };
        let rated = rate_period(&tariff, &[], &[], &output, wholly, &vat).unwrap();
        assert_eq!((rated.net, rated.total), (eur("0"), eur("0")));
        let advance = rate_advance(eur("20000"), &vat).unwrap();
        assert_eq!((advance.net, advance.vat, advance.total), (eur("20000"), eur("5000"), eur("25000")));
    }
}
