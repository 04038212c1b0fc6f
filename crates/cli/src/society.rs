//! `tantiem society`, `tantiem mandate` and `tantiem member`: the society's rules as data, who represents
//! whom, and the API tokens of sister societies and members.

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::Subcommand;
use domain::{Consent, Mandate, PartyKey, RightType, SocietyCode, Stage, Territories};
use engine::Store;
use engine::registry;
use money::Share;

#[derive(Debug, Subcommand)]
pub enum SocietyCommand {
    /// Show the society and the rules it applies.
    Show,
    /// Change the rules: publisher PR cap, share-total tolerance, AI consent defaults per stage.
    Set {
        /// The most a publisher chain may own of the performing right, in percent (CWR: 50).
        #[arg(long)]
        publisher_pr_cap: Option<String>,
        /// How far from 100% a share total may be, in percent (CWR: 0.06).
        #[arg(long)]
        tolerance: Option<String>,
        /// A stage's default when a rightsholder said nothing: STAGE=included|reserved (repeatable).
        #[arg(long = "default")]
        defaults: Vec<String>,
        /// A transparency criterion (repeatable): min-identifiable=PERCENT, totals-tolerance=PERCENT,
        /// min-sourced=PERCENT, require-summary=yes|no, sources-declared=yes|no.
        #[arg(long = "transparency")]
        transparency: Vec<String>,
    },
    /// An API token for a sister society (shown once): it reads what distribution runs owe that society
    /// (`GET /api/v1/societies/{society}/settlements/{run}`).
    Token {
        /// The sister society's CISAC code (e.g. 052 for PRS).
        #[arg(long = "for")]
        society: String,
        /// What the token is for, shown when tokens are listed.
        #[arg(long, default_value = "settlements")]
        label: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// An API token for a member (shown once): it reads the statements of the parties named
    /// (`GET /api/v1/parties/{party}/statements`).
    Token {
        /// Who the member is (recorded as who acts).
        #[arg(long)]
        name: String,
        /// A party of theirs: IPI name number or party key (repeatable: a writer and their own publisher).
        #[arg(long = "party", required = true)]
        parties: Vec<String>,
        /// What the token is for, shown when tokens are listed.
        #[arg(long, default_value = "statements")]
        label: String,
    },
}

/// Creates a member's API token.
pub async fn member(store: &dyn Store, command: MemberCommand, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
    let MemberCommand::Token { name, parties, label } = command;
    let holder = engine::licensing::store::TokenHolder::Member { name: name.clone(), parties };
    let token =
        engine::licensing::tokens::create_for_holder(store, crate::actor(), &holder, &label, &engine::OsEntropy, now)
            .await?;
    println!("API token for member {name} (shown once; only its hash is kept):\n{token}");
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum MandateCommand {
    /// Record that a society represents a party's rights in some territories (and which AI stages).
    Add {
        /// The party: IPI name number or party key.
        #[arg(long)]
        party: String,
        /// The representing society's CISAC code.
        #[arg(long)]
        society: String,
        /// PR, MR or SR (repeatable).
        #[arg(long = "right", required = true)]
        rights: Vec<String>,
        /// TIS code included (repeatable; default 2136 World).
        #[arg(long = "territory")]
        territories: Vec<u16>,
        /// TIS code excluded (repeatable).
        #[arg(long = "exclude")]
        excluded: Vec<u16>,
        /// AI stages the society may license for the party: training, service, output, all (repeatable).
        #[arg(long = "ai")]
        ai: Vec<String>,
        #[arg(long)]
        from: Option<NaiveDate>,
        #[arg(long)]
        until: Option<NaiveDate>,
    },
}

fn percent(text: &str) -> Result<Share> {
    Share::parse_percent(text).with_context(|| format!("{text:?} is not a percentage between 0 and 100"))
}

pub async fn society(store: &dyn Store, command: SocietyCommand, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
    if let SocietyCommand::Token { society, label } = &command {
        let code = SocietyCode::parse(society).with_context(|| format!("{society:?} is not a CISAC society code"))?;
        let holder = engine::licensing::store::TokenHolder::Society {
            code: code.number(),
            name: format!("{:03}", code.number()),
        };
        let token = engine::licensing::tokens::create_for_holder(
            store,
            crate::actor(),
            &holder,
            label,
            &engine::OsEntropy,
            now,
        )
        .await?;
        println!("API token for society {:03} (shown once; only its hash is kept):\n{token}", code.number());
        return Ok(());
    }
    let mut config = engine::registry::society(store, crate::actor()).await?;
    if let SocietyCommand::Set { publisher_pr_cap, tolerance, defaults, transparency } = command {
        let mut rules = config.rules.clone();
        if let Some(cap) = publisher_pr_cap {
            rules.publisher_pr_cap = percent(&cap)?;
        }
        if let Some(tolerance) = tolerance {
            rules.share_total_tolerance = percent(&tolerance)?;
        }
        for default in defaults {
            let (stage, consent) =
                default.split_once('=').context("write a default as STAGE=included or STAGE=reserved")?;
            let stage = Stage::parse(stage).with_context(|| format!("unknown stage {stage:?}"))?;
            let consent = Consent::parse(consent).with_context(|| format!("unknown consent {consent:?}"))?;
            match stage {
                Stage::Training => rules.ai_defaults.training = consent,
                Stage::Service => rules.ai_defaults.service = consent,
                Stage::Output => rules.ai_defaults.output = consent,
            }
        }
        for setting in transparency {
            set_criterion(&mut rules.transparency, &setting)?;
        }
        config = registry::set_rules(store, crate::actor(), rules).await?;
        println!("Rules updated.");
    }
    println!("{} ({})", config.name, config.code);
    println!("  publisher PR cap       {}", config.rules.publisher_pr_cap);
    println!("  share-total tolerance  {}", config.rules.share_total_tolerance);
    for stage in Stage::ALL {
        println!("  AI {:<9} default   {}", stage.as_str(), config.rules.default_consent(stage).as_str());
    }
    let t = &config.rules.transparency;
    let yes = |b: bool| if b { "yes" } else { "no" };
    println!("  full transparency needs:");
    println!("    min-identifiable     {} of the items identifiable", t.min_identifiable);
    println!("    totals-tolerance     item count and hours within {} of the declared totals", t.totals_tolerance);
    println!("    require-summary      {} (an AI Act summary whose audio size bin agrees)", yes(t.require_summary));
    println!("    min-sourced          {} of the items naming their source", t.min_sourced);
    println!("    sources-declared     {} (sources declared in the summary or Croissant)", yes(t.sources_declared));
    Ok(())
}

/// Applies one `NAME=VALUE` transparency setting.
fn set_criterion(criteria: &mut domain::disclosure::TransparencyCriteria, setting: &str) -> Result<()> {
    let (name, value) = setting.split_once('=').context("write a criterion as NAME=VALUE, e.g. min-identifiable=95")?;
    let flag = |v: &str| match v.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "on" => Ok(true),
        "no" | "false" | "off" => Ok(false),
        other => bail!("{other:?} is not yes or no"),
    };
    match name.trim() {
        "min-identifiable" => criteria.min_identifiable = percent(value)?,
        "totals-tolerance" => criteria.totals_tolerance = percent(value)?,
        "min-sourced" => criteria.min_sourced = percent(value)?,
        "require-summary" => criteria.require_summary = flag(value)?,
        "sources-declared" => criteria.sources_declared = flag(value)?,
        other => bail!(
            "unknown criterion {other:?}: use min-identifiable, totals-tolerance, min-sourced, require-summary or sources-declared"
        ),
    }
    Ok(())
}

pub async fn mandate(store: &dyn Store, command: MandateCommand) -> Result<()> {
    let MandateCommand::Add { party, society, rights, territories, excluded, ai, from, until } = command;
    let society = SocietyCode::parse(&society)
        .filter(|c| c.info().is_some())
        .with_context(|| format!("{society:?} is not a known CISAC society code"))?;
    let rights = rights
        .iter()
        .map(|r| {
            RightType::ALL
                .into_iter()
                .find(|t| t.abbreviation().eq_ignore_ascii_case(r))
                .with_context(|| format!("unknown right {r:?}: use PR, MR or SR"))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut stages = Vec::new();
    for text in &ai {
        if text.eq_ignore_ascii_case("all") {
            stages.extend(Stage::ALL);
        } else {
            stages.push(Stage::parse(text).with_context(|| format!("unknown stage {text:?}"))?);
        }
    }
    let included = if territories.is_empty() { vec![domain::WORLD] } else { territories };
    let mut list: Vec<(bool, u16)> = included.into_iter().map(|t| (true, t)).collect();
    list.extend(excluded.into_iter().map(|t| (false, t)));
    for (_, tis) in &list {
        if Territories::cisac().get(*tis).is_none() {
            bail!("{tis} is not a CISAC TIS territory code (2136 is the World, 752 Sweden)");
        }
    }
    let mandate = Mandate {
        party: PartyKey::new(""),
        society,
        rights,
        territories: list,
        ai_stages: stages,
        valid_from: from,
        valid_until: until,
    };
    let recorded = registry::add_mandate(store, crate::actor(), &party, mandate).await?;
    println!(
        "{} is represented by {} ({})",
        recorded.party,
        society.info().map_or(String::new(), |i| i.name.clone()),
        society
    );
    Ok(())
}
