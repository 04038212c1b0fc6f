//! How results look on a terminal: plain aligned tables a person can read and paste into an email.

use std::path::Path;

use chrono::NaiveDate;
use domain::{ConsentChoice, LicensedShare, RightType, Territories};
use engine::ImportReport;
use engine::store::{PartyDetail, StoredRecording, WorkDetail, WorkSummary};
use formats::Level;

/// Prints rows as columns, each as wide as its widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        println!("  {}", padded.join("  ").trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    line(widths.iter().map(|w| "-".repeat(*w)).collect());
    for row in rows {
        line(row.clone());
    }
}

pub fn import_report(report: &ImportReport, show: usize, ack_dir: &Path) {
    let c = &report.counts;
    println!();
    println!(
        "{} — CWR {} from {} ({}){}",
        report.file_name,
        report.version,
        report.sender_name,
        report.submitter,
        if report.dry_run { " — DRY RUN, nothing stored" } else { "" }
    );
    if let Some(at) = report.previously_imported {
        println!(
            "  this exact file was imported before, on {}: its transactions are duplicates",
            at.format("%Y-%m-%d %H:%M UTC")
        );
    }
    table(
        &[
            "transactions",
            "registered",
            "revised",
            "claims",
            "changed (AC)",
            "duplicates",
            "conflicts",
            "rejected",
            "ISWCs",
            "notices",
            "agreements",
        ],
        &[vec![
            c.transactions.to_string(),
            c.registered.to_string(),
            c.revised.to_string(),
            c.claims.to_string(),
            c.changed.to_string(),
            c.duplicates.to_string(),
            c.conflicts.to_string(),
            c.rejected.to_string(),
            c.iswcs_assigned.to_string(),
            c.notifications.to_string(),
            c.agreements.to_string(),
        ]],
    );
    let levels = [Level::File, Level::Group, Level::Transaction, Level::Record, Level::Field, Level::Warning];
    let counts: Vec<String> = levels
        .iter()
        .map(|l| (l, report.count_at_level(*l)))
        .filter(|(_, n)| *n > 0)
        .map(|(l, n)| format!("{n} {}", l.code()))
        .collect();
    if !counts.is_empty() {
        println!(
            "  diagnostics: {}{}",
            counts.join(", "),
            if report.diagnostics_dropped > 0 {
                format!(" (+{} not listed)", report.diagnostics_dropped)
            } else {
                String::new()
            }
        );
        let mut sorted: Vec<_> = report.diagnostics.iter().collect();
        sorted.sort_by_key(|d| (d.level == Level::Warning, d.line));
        for d in sorted.iter().take(show) {
            println!("    {d}");
        }
        if sorted.len() > show {
            println!("    … {} more (use --show N or --json)", sorted.len() - show);
        }
    }
    for ack in report.acks_received.iter().take(show) {
        println!(
            "  ACK received: {} {} {:?} society code {:?}",
            ack.status, ack.original_kind, ack.title, ack.society_work_code
        );
        for message in &ack.messages {
            println!("    message: {message}");
        }
    }
    if let Some(name) = &report.ack_file_name {
        println!("  acknowledgement: {}", ack_dir.join(name).display());
    } else if !report.dry_run {
        println!("  no acknowledgement: the file comes from a society (its ACKs and notices are read, not answered)");
    }
}

pub fn import_totals(reports: &[ImportReport]) {
    println!();
    println!("Totals");
    let rows: Vec<Vec<String>> = reports
        .iter()
        .map(|r| {
            let c = &r.counts;
            vec![
                r.file_name.clone(),
                r.version.clone(),
                c.transactions.to_string(),
                c.registered.to_string(),
                c.revised.to_string(),
                c.changed.to_string(),
                c.duplicates.to_string(),
                c.conflicts.to_string(),
                c.rejected.to_string(),
                r.ack_file_name.clone().unwrap_or_else(|| "—".into()),
            ]
        })
        .collect();
    table(
        &[
            "file",
            "CWR",
            "transactions",
            "registered",
            "revised",
            "changed",
            "duplicates",
            "conflicts",
            "rejected",
            "acknowledgement",
        ],
        &rows,
    );
}

pub fn work_list(works: &[WorkSummary]) {
    if works.is_empty() {
        println!("No work found.");
        return;
    }
    let rows: Vec<Vec<String>> = works
        .iter()
        .map(|w| {
            vec![
                w.code.clone(),
                w.title.clone(),
                w.iswc.map(|i| i.to_string()).unwrap_or_default(),
                w.origin.as_str().to_owned(),
            ]
        })
        .collect();
    table(&["code", "title", "ISWC", "origin"], &rows);
}

fn territory_name(tis: u16) -> String {
    Territories::cisac().get(tis).map_or_else(|| tis.to_string(), |t| format!("{tis} {}", t.name))
}

pub fn work(detail: &WorkDetail, consent: &[LicensedShare], recordings: &[StoredRecording], as_of: NaiveDate) {
    let s = &detail.summary;
    println!("{}  {}", s.code, s.title);
    println!(
        "  ISWC {}   origin {}{}   revision {}",
        s.iswc.map(|i| i.to_string()).unwrap_or_else(|| "none".into()),
        s.origin.as_str(),
        if s.origin.is_distributable() { "" } else { " (never distributed)" },
        s.revision
    );
    println!();
    println!("Registrations");
    let rows: Vec<Vec<String>> = detail
        .registrations
        .iter()
        .map(|r| {
            vec![
                r.submitter.clone(),
                r.submitter_work_number.clone(),
                r.status.as_str().to_owned(),
                if r.primary { "primary".into() } else { String::new() },
                r.updated_at.format("%Y-%m-%d %H:%M").to_string(),
            ]
        })
        .collect();
    table(&["submitter", "work number", "status", "", "updated"], &rows);
    let Some(primary) = detail.primary() else {
        return;
    };
    let w = &primary.work;
    if !w.alternate_titles.is_empty() {
        println!();
        println!(
            "Alternate titles: {}",
            w.alternate_titles.iter().map(|a| format!("{} ({})", a.title, a.kind)).collect::<Vec<_>>().join("; ")
        );
    }
    println!();
    println!("Ownership shares (primary registration)");
    let rows: Vec<Vec<String>> = w
        .interests
        .iter()
        .map(|i| {
            let name = if i.first_name.is_empty() { i.name.clone() } else { format!("{}, {}", i.name, i.first_name) };
            let societies: Vec<String> = RightType::ALL
                .iter()
                .filter_map(|r| {
                    i.societies.get(*r).map(|s| {
                        format!("{} {}", r.abbreviation(), s.info().map_or(s.to_string(), |info| info.name.clone()))
                    })
                })
                .collect();
            vec![
                i.role.code().to_owned(),
                name,
                i.ipi_name.map(|n| n.to_string()).unwrap_or_default(),
                if i.controlled { "yes".into() } else { "no".into() },
                i.ownership.performing.to_string(),
                i.ownership.mechanical.to_string(),
                i.ownership.synchronisation.to_string(),
                societies.join(", "),
            ]
        })
        .collect();
    table(&["role", "party", "IPI", "controlled", "PR", "MR", "SR", "societies"], &rows);
    println!();
    println!("Collection shares per territory (PR / MR / SR)");
    let mut rows = Vec::new();
    for i in &w.interests {
        for t in &i.collection {
            rows.push(vec![
                i.name.clone(),
                if t.included { "include".into() } else { "exclude".into() },
                territory_name(t.tis),
                if t.included {
                    format!("{} / {} / {}", t.shares.performing, t.shares.mechanical, t.shares.synchronisation)
                } else {
                    String::new()
                },
            ]);
        }
        if i.collection.is_empty() && !i.controlled {
            rows.push(vec![
                i.name.clone(),
                "include".into(),
                territory_name(domain::WORLD),
                format!(
                    "{} / {} / {} (ownership)",
                    i.ownership.performing, i.ownership.mechanical, i.ownership.synchronisation
                ),
            ]);
        }
    }
    table(&["party", "", "territory", "shares"], &rows);
    println!();
    licensed_shares(consent, as_of);
    if !recordings.is_empty() {
        println!();
        println!("Recordings");
        let rows: Vec<Vec<String>> = recordings
            .iter()
            .map(|r| {
                let rec = &r.recording;
                vec![
                    rec.isrc.map(|i| i.to_string()).unwrap_or_default(),
                    if rec.title.is_empty() { rec.album_title.clone() } else { rec.title.clone() },
                    rec.artist.clone(),
                    rec.duration_seconds.map(|d| format!("{}:{:02}", d / 60, d % 60)).unwrap_or_default(),
                    rec.label.clone(),
                ]
            })
            .collect();
        table(&["ISRC", "title / album", "artist", "duration", "label"], &rows);
    }
    println!();
    println!("History");
    let rows: Vec<Vec<String>> = detail
        .history
        .iter()
        .map(|h| {
            vec![
                format!("r{}", h.revision),
                h.changed_at.format("%Y-%m-%d %H:%M").to_string(),
                h.change.clone(),
                h.changed_by.clone(),
                h.summary.clone(),
            ]
        })
        .collect();
    table(&["rev", "when", "change", "by", "what"], &rows);
}

pub fn licensed_shares(consent: &[LicensedShare], as_of: NaiveDate) {
    println!("AI consent on {as_of} (licensed share per stage)");
    let rows: Vec<Vec<String>> = consent
        .iter()
        .map(|c| {
            let holders: Vec<String> = c
                .holders
                .iter()
                .map(|h| {
                    let source = match h.source {
                        domain::ConsentSource::SocietyDefault => "society default",
                        domain::ConsentSource::PartyChoice => "party's choice",
                        domain::ConsentSource::WorkChoice => "choice for this work",
                    };
                    let name = if h.name.is_empty() { "(unnamed party)" } else { h.name.as_str() };
                    format!("{name} {} {} ({source})", h.share, h.consent.as_str())
                })
                .collect();
            vec![c.stage.as_str().to_owned(), c.licensed.to_string(), c.reserved.to_string(), holders.join("; ")]
        })
        .collect();
    table(&["stage", "licensed", "reserved", "holders"], &rows);
}

pub fn consent_choices(choices: &[ConsentChoice]) {
    if choices.is_empty() {
        println!("No consent recorded: the society's defaults apply.");
        return;
    }
    let rows: Vec<Vec<String>> = choices
        .iter()
        .map(|c| {
            vec![
                c.stage.as_str().to_owned(),
                c.consent.as_str().to_owned(),
                c.work_code.clone().unwrap_or_else(|| "all works".into()),
                c.effective_from.to_string(),
                c.recorded_by.clone(),
                c.recorded_at.format("%Y-%m-%d %H:%M").to_string(),
                c.note.clone(),
            ]
        })
        .collect();
    table(&["stage", "consent", "scope", "from", "by", "recorded", "note"], &rows);
}

pub fn party(detail: &PartyDetail) {
    let p = &detail.party;
    println!("{}  {} ({})", p.key, p.display_name(), p.kind.as_str());
    println!(
        "  IPI name {}   IPI base {}",
        p.ipi_name.map(|i| i.to_string()).unwrap_or_else(|| "—".into()),
        p.ipi_base.map(|i| i.to_string()).unwrap_or_else(|| "—".into())
    );
    let affiliations: Vec<String> = p
        .affiliations
        .iter()
        .map(|a| {
            format!("{} {}", a.right.abbreviation(), a.society.info().map_or(a.society.to_string(), |i| i.name.clone()))
        })
        .collect();
    println!(
        "  affiliations: {}",
        if affiliations.is_empty() { "none stated".into() } else { affiliations.join(", ") }
    );
    println!();
    let rows: Vec<Vec<String>> = detail
        .interests
        .iter()
        .map(|i| {
            vec![
                i.work_code.clone(),
                i.title.clone(),
                i.role.code().to_owned(),
                i.performing.to_string(),
                i.mechanical.to_string(),
                i.synchronisation.to_string(),
            ]
        })
        .collect();
    table(&["work", "title", "role", "PR", "MR", "SR"], &rows);
    if !detail.mandates.is_empty() {
        println!();
        println!("Mandates");
        let rows: Vec<Vec<String>> = detail
            .mandates
            .iter()
            .map(|m| {
                vec![
                    m.society.info().map_or(m.society.to_string(), |i| i.name.clone()),
                    m.rights.iter().map(|r| r.abbreviation()).collect::<Vec<_>>().join(","),
                    m.territories
                        .iter()
                        .map(|(i, t)| format!("{}{}", if *i { "+" } else { "-" }, territory_name(*t)))
                        .collect::<Vec<_>>()
                        .join(" "),
                    m.ai_stages.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","),
                    format!(
                        "{} – {}",
                        m.valid_from.map(|d| d.to_string()).unwrap_or_default(),
                        m.valid_until.map(|d| d.to_string()).unwrap_or_default()
                    ),
                ]
            })
            .collect();
        table(&["society", "rights", "territories", "AI stages", "valid"], &rows);
    }
    println!();
    consent_choices(&detail.consent);
}
