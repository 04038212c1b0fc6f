//! DDEX ERN (Electronic Release Notification) in: `NewReleaseMessage` in ERN 3.8.2, 4.1.1, 4.2 and 4.3, and
//! `PurgeReleaseMessage`, read into recordings (ISRC, titles, display artists, contributors with their roles,
//! duration, label, P-line, linked ISWCs) and releases (ICPN or GRid, title, tracks).
//!
//! One reader serves every version: the versions name the same things in different places (3.8.2 keeps
//! details in `…DetailsByTerritory` and names parties inline; 4.x refers to a `PartyList` by reference and
//! keeps the ISRC in `SoundRecordingEdition` in 4.3), so each field is looked up where any version puts it.
//! Elements Tantiem does not know are passed over and reported; malformed XML, or XML that is not an ERN
//! message, is an error naming the element and line.
//!
//! A recording's AI involvement is not read: no ERN version up to 4.3 has an element for it, so it is left to
//! operators (`tantiem recordings origin`).

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use domain::{Isrc, Iswc};
use roxmltree::{Document, Node};
use serde::Serialize;

use crate::{Diagnostic, Level};

/// The largest message read (messages carry metadata, not audio).
pub const MAX_ERN_BYTES: usize = 64 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ErnVersion {
    #[serde(rename = "3.8.2")]
    V382,
    #[serde(rename = "4.1.1")]
    V411,
    #[serde(rename = "4.2")]
    V42,
    #[serde(rename = "4.3")]
    V43,
}

impl ErnVersion {
    fn from_namespace(ns: &str) -> Option<ErnVersion> {
        match ns.trim_end_matches('/').rsplit('/').next()? {
            "382" => Some(ErnVersion::V382),
            "411" => Some(ErnVersion::V411),
            "42" => Some(ErnVersion::V42),
            "43" => Some(ErnVersion::V43),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageKind {
    NewRelease,
    PurgeRelease,
}

/// A contributor to a recording and what they did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contributor {
    pub name: String,
    pub roles: Vec<String>,
    /// Contributors to the underlying work (writers), as opposed to the recording.
    pub indirect: bool,
}

/// A sound recording as the message describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErnRecording {
    pub line: u32,
    pub reference: String,
    pub isrc: Option<Isrc>,
    /// Proprietary ids as `namespace:id`.
    pub proprietary_ids: Vec<String>,
    pub title: String,
    pub subtitle: Option<String>,
    pub display_artists: Vec<String>,
    pub contributors: Vec<Contributor>,
    pub duration_seconds: Option<u32>,
    pub label: Option<String>,
    pub p_line: Option<String>,
    pub iswcs: Vec<Iswc>,
}

/// A release and the recordings on it, by reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErnRelease {
    pub line: u32,
    pub reference: String,
    pub icpn: Option<String>,
    pub grid: Option<String>,
    pub proprietary_ids: Vec<String>,
    pub title: String,
    pub label: Option<String>,
    /// Resource references of the sound recordings on the release, in order.
    pub tracks: Vec<String>,
}

impl ErnRelease {
    /// The key a release is known by: ICPN, else GRid, else the first proprietary id.
    pub fn key(&self) -> Option<String> {
        self.icpn.clone().or_else(|| self.grid.clone()).or_else(|| self.proprietary_ids.first().cloned())
    }
}

/// A release a purge message withdraws.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurgedRelease {
    pub icpn: Option<String>,
    pub grid: Option<String>,
    pub proprietary_ids: Vec<String>,
}

impl PurgedRelease {
    pub fn key(&self) -> Option<String> {
        self.icpn.clone().or_else(|| self.grid.clone()).or_else(|| self.proprietary_ids.first().cloned())
    }
}

/// A message read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErnMessage {
    pub version: ErnVersion,
    pub kind: MessageKind,
    pub message_id: String,
    pub sender: String,
    pub created: DateTime<FixedOffset>,
    /// `MessageControlType` TestMessage: the message changes nothing.
    pub test: bool,
    pub recordings: Vec<ErnRecording>,
    pub releases: Vec<ErnRelease>,
    pub purged: Vec<PurgedRelease>,
    /// Unknown elements and fields dropped, as warnings.
    pub diagnostics: Vec<Diagnostic>,
}

/// Why a file is not an ERN message Tantiem can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ErnError(pub Diagnostic);

fn error(line: u32, element: &str, message: impl Into<String>) -> ErnError {
    ErnError(Diagnostic::new(u64::from(line), element, None, Level::File, message))
}

/// Reads an ERN message from its bytes (UTF-8, as DDEX requires).
pub fn read_ern(bytes: &[u8]) -> Result<ErnMessage, ErnError> {
    if bytes.len() > MAX_ERN_BYTES {
        return Err(error(
            0,
            "",
            format!("the message is larger than {} MiB: is it really an ERN message?", MAX_ERN_BYTES >> 20),
        ));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) || bytes.get(1) == Some(&0) {
        return Err(error(
            1,
            "",
            "the message is UTF-16: DDEX messages must be UTF-8; save it as UTF-8 and send it again",
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() as u32 + 1;
        error(line, "", "the message is not UTF-8: DDEX messages must be UTF-8")
    })?;
    let document = Document::parse(text).map_err(|e| {
        if matches!(e, roxmltree::Error::UnexpectedEndOfStream | roxmltree::Error::UnclosedRootNode) {
            // The parser gives no position for this one: the end of the text is where it was found.
            let line = text.matches('\n').count() as u32 + 1;
            let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            return error(
                line,
                "",
                format!(
                    "the message ends at line {line}, column {column}, before its elements are closed: it is cut off; send it whole"
                ),
            );
        }
        let pos = e.pos();
        error(pos.row, "", format!("malformed XML at line {}, column {}: {e}", pos.row, pos.col))
    })?;
    Reader::new(&document).message()
}

struct Reader<'a, 'input> {
    document: &'a Document<'input>,
    /// Byte offsets where lines start, so a node's line is a binary search (roxmltree's own lookup scans
    /// the text from the start each time).
    line_starts: Vec<usize>,
    parties: HashMap<String, String>,
    diagnostics: Vec<Diagnostic>,
}

impl<'a, 'input> Reader<'a, 'input> {
    fn new(document: &'a Document<'input>) -> Self {
        let text = document.input_text();
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Reader { document, line_starts, parties: HashMap::new(), diagnostics: Vec::new() }
    }

    fn line(&self, node: Node<'_, '_>) -> u32 {
        let offset = node.range().start;
        self.line_starts.partition_point(|start| *start <= offset) as u32
    }

    fn message(mut self) -> Result<ErnMessage, ErnError> {
        let root = self.document.root_element();
        let name = root.tag_name().name();
        let namespace = root.tag_name().namespace().unwrap_or("");
        let kind = match name {
            "NewReleaseMessage" => MessageKind::NewRelease,
            "PurgeReleaseMessage" => MessageKind::PurgeRelease,
            other => {
                return Err(error(
                    self.line(root),
                    other,
                    format!("root element {other:?} is not an ERN NewReleaseMessage or PurgeReleaseMessage"),
                ));
            }
        };
        let version = ErnVersion::from_namespace(namespace).filter(|_| namespace.starts_with("http://ddex.net/xml/ern/")).ok_or_else(|| {
            error(self.line(root), name, format!("namespace {namespace:?} is not ERN 3.8.2, 4.1.1, 4.2 or 4.3 (http://ddex.net/xml/ern/382, /411, /42, /43)"))
        })?;
        self.report_unknown(root);
        let header = child(root, "MessageHeader")
            .ok_or_else(|| error(self.line(root), name, "the message has no MessageHeader"))?;
        let message_id = text_of(header, &["MessageId"]).unwrap_or_else(|| {
            // DDEX's own DJ-mix sample leaves it empty: read on, but say so.
            let line = self.line(header);
            self.warn(line, "MessageId", "MessageId is empty: the message cannot be told from others by its id".into());
            String::new()
        });
        let created_text = text_of(header, &["MessageCreatedDateTime"]).unwrap_or_default();
        let created = match DateTime::parse_from_rfc3339(&created_text) {
            Ok(t) => t,
            // xs:dateTime may leave the time zone out: read it as UTC, and say so.
            Err(_) => match chrono::NaiveDateTime::parse_from_str(&created_text, "%Y-%m-%dT%H:%M:%S%.f") {
                Ok(naive) => {
                    let line = self.line(header);
                    self.warn(
                        line,
                        "MessageCreatedDateTime",
                        format!("{created_text:?} has no time zone: read as UTC"),
                    );
                    naive.and_utc().fixed_offset()
                }
                Err(_) => {
                    return Err(error(
                        self.line(header),
                        "MessageCreatedDateTime",
                        format!("{created_text:?} is not a date and time like 2024-04-01T05:00:00Z"),
                    ));
                }
            },
        };
        let sender = child(header, "MessageSender")
            .and_then(|s| text_of(s, &["PartyName", "FullName"]).or_else(|| text_of(s, &["PartyId"])))
            .unwrap_or_default();
        let test = text_of(header, &["MessageControlType"]).is_some_and(|t| t == "TestMessage")
            || text_of(root, &["MessageControlType"]).is_some_and(|t| t == "TestMessage");
        self.read_parties(root);
        let (mut recordings, releases, purged) = match kind {
            MessageKind::NewRelease => (self.recordings(root), self.releases(root), Vec::new()),
            MessageKind::PurgeRelease => (Vec::new(), Vec::new(), self.purged(root)),
        };
        // ERN 4 names the label on the release only: its recordings carry it.
        for release in releases.iter().filter(|r| r.label.is_some()) {
            for r in recordings.iter_mut().filter(|r| r.label.is_none() && release.tracks.contains(&r.reference)) {
                r.label = release.label.clone();
            }
        }
        Ok(ErnMessage {
            version,
            kind,
            message_id,
            sender,
            created,
            test,
            recordings,
            releases,
            purged,
            diagnostics: self.diagnostics,
        })
    }

    fn read_parties(&mut self, root: Node<'_, '_>) {
        let Some(list) = child(root, "PartyList") else { return };
        for party in children(list, "Party") {
            if let (Some(reference), Some(name)) =
                (text_of(party, &["PartyReference"]), text_of(party, &["PartyName", "FullName"]))
            {
                self.parties.insert(reference, name);
            }
        }
    }

    fn party(&self, reference: &str) -> String {
        self.parties.get(reference).cloned().unwrap_or_else(|| reference.to_owned())
    }

    fn recordings(&mut self, root: Node<'_, '_>) -> Vec<ErnRecording> {
        let Some(list) = child(root, "ResourceList") else { return Vec::new() };
        let mut out = Vec::new();
        for r in children(list, "SoundRecording") {
            out.push(self.recording(r));
        }
        out
    }

    fn recording(&mut self, r: Node<'_, '_>) -> ErnRecording {
        let line = self.line(r);
        let reference = text_of(r, &["ResourceReference"]).unwrap_or_default();
        let ids = own_ids(r);
        let isrc = ids.iter().find_map(|i| text_of(*i, &["ISRC"])).and_then(|text| match Isrc::parse(&text) {
            Ok(isrc) => Some(isrc),
            Err(e) => {
                self.warn(line, "ISRC", format!("ISRC {text:?} of {reference} dropped: {e}"));
                None
            }
        });
        // Where each version keeps the details: on the recording (4.x), in its edition (4.3) or per territory (3.8.2).
        let details: Vec<Node<'_, '_>> = std::iter::once(r)
            .chain(children(r, "SoundRecordingEdition"))
            .chain(children(r, "SoundRecordingDetailsByTerritory"))
            .collect();
        let title = text_of(r, &["DisplayTitleText"])
            .or_else(|| text_of(r, &["DisplayTitle", "TitleText"]))
            .or_else(|| text_of(r, &["ReferenceTitle", "TitleText"]))
            .or_else(|| details.iter().find_map(|d| text_of(*d, &["Title", "TitleText"])))
            .unwrap_or_default();
        let subtitle =
            text_of(r, &["DisplayTitle", "SubTitle"]).or_else(|| text_of(r, &["ReferenceTitle", "SubTitle"]));
        let mut display_artists: Vec<String> = Vec::new();
        for d in &details {
            for a in children(*d, "DisplayArtist") {
                let name = text_of(a, &["ArtistPartyReference"])
                    .map(|p| self.party(&p))
                    .or_else(|| text_of(a, &["PartyName", "FullName"]));
                push_unique(&mut display_artists, name);
            }
        }
        if display_artists.is_empty() {
            for d in &details {
                push_unique(&mut display_artists, text_of(*d, &["DisplayArtistName"]));
            }
        }
        let mut contributors = Vec::new();
        for d in &details {
            for c in children(*d, "Contributor").chain(children(*d, "ResourceContributor")) {
                let name = text_of(c, &["ContributorPartyReference"])
                    .map(|p| self.party(&p))
                    .or_else(|| text_of(c, &["PartyName", "FullName"]));
                let roles = texts(c, &["Role", "ResourceContributorRole"]);
                if let Some(name) = name {
                    contributors.push(Contributor { name, roles, indirect: false });
                }
            }
            for c in children(*d, "IndirectResourceContributor") {
                if let Some(name) = text_of(c, &["PartyName", "FullName"]) {
                    contributors.push(Contributor {
                        name,
                        roles: texts(c, &["IndirectResourceContributorRole"]),
                        indirect: true,
                    });
                }
            }
        }
        let duration_seconds = text_of(r, &["Duration"]).and_then(|d| {
            let parsed = iso_duration_seconds(&d);
            if parsed.is_none() {
                self.warn(
                    line,
                    "Duration",
                    format!("duration {d:?} of {reference} dropped: expected ISO 8601 such as PT3M45S"),
                );
            }
            parsed
        });
        let label = details.iter().find_map(|d| text_of(*d, &["LabelName"]));
        let p_line = details.iter().find_map(|d| text_of(*d, &["PLine", "PLineText"]));
        let mut iswcs = Vec::new();
        for node in r.descendants().filter(|n| n.has_tag_name("ISWC")) {
            let text = node.text().unwrap_or("").trim().to_owned();
            match Iswc::parse(&text) {
                Ok(iswc) if !iswcs.contains(&iswc) => iswcs.push(iswc),
                Ok(_) => {}
                Err(e) => self.warn(self.line(node), "ISWC", format!("ISWC {text:?} of {reference} dropped: {e}")),
            }
        }
        ErnRecording {
            line,
            reference,
            isrc,
            proprietary_ids: ids.into_iter().flat_map(proprietary_ids).collect(),
            title,
            subtitle,
            display_artists,
            contributors,
            duration_seconds,
            label,
            p_line,
            iswcs,
        }
    }

    fn releases(&mut self, root: Node<'_, '_>) -> Vec<ErnRelease> {
        let Some(list) = child(root, "ReleaseList") else { return Vec::new() };
        let mut out = Vec::new();
        for r in children(list, "Release") {
            // ERN 3.8.2 repeats each track as a TrackRelease: the track, not a release of its own.
            if text_of(r, &["ReleaseType"]).is_some_and(|t| t == "TrackRelease") {
                continue;
            }
            let ids = child(r, "ReleaseId");
            let tracks: Vec<String> = r
                .descendants()
                .filter(|n| n.has_tag_name("ReleaseResourceReference"))
                .filter_map(|n| n.text().map(|t| t.trim().to_owned()))
                .collect();
            let mut unique = Vec::new();
            for t in tracks {
                push_unique(&mut unique, Some(t));
            }
            let label = text_of(r, &["ReleaseLabelReference"])
                .map(|p| self.party(&p))
                .or_else(|| children(r, "ReleaseDetailsByTerritory").find_map(|d| text_of(d, &["LabelName"])));
            out.push(ErnRelease {
                line: self.line(r),
                reference: text_of(r, &["ReleaseReference"]).unwrap_or_default(),
                icpn: ids.and_then(|i| {
                    text_of(i, &["ICPN"]).or_else(|| text_of(i, &["EAN"])).or_else(|| text_of(i, &["UPC"]))
                }),
                grid: ids.and_then(|i| text_of(i, &["GRid"])),
                proprietary_ids: ids.map(proprietary_ids).unwrap_or_default(),
                title: text_of(r, &["DisplayTitleText"])
                    .or_else(|| text_of(r, &["DisplayTitle", "TitleText"]))
                    .or_else(|| text_of(r, &["ReferenceTitle", "TitleText"]))
                    .unwrap_or_default(),
                label,
                tracks: unique,
            });
        }
        out
    }

    fn purged(&mut self, root: Node<'_, '_>) -> Vec<PurgedRelease> {
        children(root, "PurgedRelease")
            .map(|p| {
                let ids = child(p, "ReleaseId").unwrap_or(p);
                PurgedRelease {
                    icpn: text_of(ids, &["ICPN"]).or_else(|| text_of(ids, &["EAN"])),
                    grid: text_of(ids, &["GRid"]),
                    proprietary_ids: proprietary_ids(ids),
                }
            })
            .collect()
    }

    fn warn(&mut self, line: u32, element: &str, message: String) {
        self.diagnostics.push(Diagnostic::new(u64::from(line), element, None, Level::Warning, message));
    }

    /// Reports each element name Tantiem does not know once, at its first line.
    fn report_unknown(&mut self, root: Node<'_, '_>) {
        let mut seen: Vec<&str> = Vec::new();
        for node in root.descendants().filter(Node::is_element) {
            let name = node.tag_name().name();
            let foreign = node.tag_name().namespace().is_some_and(|ns| !ns.starts_with("http://ddex.net/xml/"));
            if (foreign || !KNOWN_ELEMENTS.contains(&name)) && !seen.contains(&name) {
                seen.push(name);
                let line = self.line(node);
                self.warn(line, name, format!("element {name} is not one Tantiem reads; passed over"));
            }
        }
    }
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|n| n.is_element() && n.tag_name().name() == name)
}

fn children<'a, 'i: 'a>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |n| n.is_element() && n.tag_name().name() == name)
}

/// The trimmed text at a path of child elements, if any and not empty.
fn text_of(node: Node<'_, '_>, path: &[&str]) -> Option<String> {
    let mut current = node;
    for name in path {
        current = child(current, name)?;
    }
    current.text().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
}

/// The texts of every child named in `names`.
fn texts(node: Node<'_, '_>, names: &[&str]) -> Vec<String> {
    node.children()
        .filter(|n| n.is_element() && names.contains(&n.tag_name().name()))
        .filter_map(|n| {
            let user = n.attribute("UserDefinedValue");
            n.text().map(str::trim).filter(|t| !t.is_empty()).map(|t| match (t, user) {
                ("UserDefined", Some(u)) => u.to_owned(),
                _ => t.to_owned(),
            })
        })
        .collect()
}

/// The id containers that name a sound recording itself (not a related recording or its work): 3.8.2's
/// `SoundRecordingId`, 4.x's `ResourceId`, and 4.3's `SoundRecordingEdition/ResourceId`.
fn own_ids<'a, 'i>(r: Node<'a, 'i>) -> Vec<Node<'a, 'i>> {
    let mut ids: Vec<Node<'a, 'i>> = children(r, "SoundRecordingId").chain(children(r, "ResourceId")).collect();
    for edition in children(r, "SoundRecordingEdition") {
        ids.extend(children(edition, "ResourceId"));
    }
    ids
}

fn proprietary_ids(node: Node<'_, '_>) -> Vec<String> {
    node.descendants()
        .filter(|n| n.has_tag_name("ProprietaryId"))
        .filter_map(|n| {
            let id = n.text()?.trim();
            (!id.is_empty()).then(|| format!("{}:{id}", n.attribute("Namespace").unwrap_or("")))
        })
        .collect()
}

fn push_unique(list: &mut Vec<String>, value: Option<String>) {
    if let Some(v) = value.filter(|v| !list.contains(v)) {
        list.push(v);
    }
}

/// Seconds of an ISO 8601 duration such as `PT3M45S`, `PT1H2M3.5S` (fractions dropped) or `PT0H0M0S`.
pub fn iso_duration_seconds(text: &str) -> Option<u32> {
    let rest = text.trim().strip_prefix('P').filter(|r| !r.is_empty() && *r != "T")?;
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut total: u64 = 0;
    if !days.is_empty() {
        total = days.strip_suffix('D')?.parse::<u64>().ok()?.checked_mul(86_400)?;
    }
    let mut number = String::new();
    for c in time.chars() {
        match c {
            '0'..='9' | '.' => number.push(c),
            'H' | 'M' | 'S' => {
                let whole: u64 = number.split('.').next()?.parse().ok()?;
                let unit = match c {
                    'H' => 3_600,
                    'M' => 60,
                    _ => 1,
                };
                total = total.checked_add(whole.checked_mul(unit)?)?;
                number.clear();
            }
            _ => return None,
        }
    }
    if !number.is_empty() {
        return None;
    }
    u32::try_from(total).ok()
}

/// Element names of the ERN versions read here that Tantiem knows (reads, or knowingly passes over).
const KNOWN_ELEMENTS: &[&str] = &[
    "NewReleaseMessage",
    "PurgeReleaseMessage",
    "MessageHeader",
    "MessageThreadId",
    "MessageId",
    "MessageFileName",
    "MessageSender",
    "SentOnBehalfOf",
    "MessageRecipient",
    "MessageCreatedDateTime",
    "MessageAuditTrail",
    "MessageControlType",
    "MessageSchemaVersionId",
    "UpdateIndicator",
    "IsBackfill",
    "CatalogTransfer",
    "WorkList",
    "MusicalWork",
    "CueSheetList",
    "PartyList",
    "Party",
    "PartyReference",
    "PartyName",
    "FullName",
    "FullNameIndexed",
    "FullNameAsciiTranscribed",
    "NamesBeforeKeyName",
    "KeyName",
    "NamesAfterKeyName",
    "AbbreviatedName",
    "PartyId",
    "ProprietaryId",
    "ISNI",
    "DPID",
    "IpiNameNumber",
    "IPN",
    "CisacSocietyId",
    "ResourceList",
    "SoundRecording",
    "SoundRecordingType",
    "SoundRecordingId",
    "SoundRecordingEdition",
    "ResourceReference",
    "ResourceId",
    "Type",
    "ISRC",
    "CatalogNumber",
    "ISWC",
    "MusicalWorkId",
    "IndirectSoundRecordingId",
    "WorkId",
    "ReferenceTitle",
    "TitleText",
    "SubTitle",
    "Title",
    "DisplayTitle",
    "DisplayTitleText",
    "AdditionalTitle",
    "Duration",
    "DurationUsed",
    "CreationDate",
    "MasteredDate",
    "SoundRecordingDetailsByTerritory",
    "TerritoryCode",
    "ExcludedTerritoryCode",
    "DisplayArtist",
    "DisplayArtistName",
    "DisplayArtistRole",
    "ArtistRole",
    "ArtistPartyReference",
    "Contributor",
    "ContributorPartyReference",
    "Role",
    "InstrumentType",
    "ResourceContributor",
    "ResourceContributorRole",
    "IndirectResourceContributor",
    "IndirectResourceContributorRole",
    "RightsController",
    "RightsControllerRole",
    "RightShareUnknown",
    "RightSharePercentage",
    "LabelName",
    "OriginalResourceReleaseDate",
    "FirstPublicationDate",
    "OriginalReleaseDate",
    "PLine",
    "PLineText",
    "CLine",
    "CLineText",
    "Year",
    "PLineCompany",
    "CLineCompany",
    "Genre",
    "GenreText",
    "SubGenre",
    "ParentalWarningType",
    "IsInstrumental",
    "LanguageOfPerformance",
    "IsCover",
    "IsRemastered",
    "IsHiddenResource",
    "IsBonusResource",
    "TechnicalSoundRecordingDetails",
    "TechnicalDetails",
    "TechnicalResourceDetailsReference",
    "DeliveryFile",
    "AudioCodecType",
    "NumberOfChannels",
    "SamplingRate",
    "BitsPerSample",
    "BitRate",
    "IsPreview",
    "PreviewDetails",
    "StartPoint",
    "EndPoint",
    "ExpressionType",
    "ClipDetails",
    "ClipType",
    "Timing",
    "File",
    "FileName",
    "FilePath",
    "URI",
    "HashSum",
    "Algorithm",
    "HashSumValue",
    "HashSumAlgorithmType",
    "Fingerprint",
    "Image",
    "ImageType",
    "ImageId",
    "ImageDetailsByTerritory",
    "TechnicalImageDetails",
    "ImageHeight",
    "ImageWidth",
    "ImageCodecType",
    "Video",
    "Text",
    "SheetMusic",
    "Software",
    "RelatedResource",
    "ResourceRelationshipType",
    "ResourceRelatedResourceReference",
    "ResourceRightsController",
    "WorkRightsController",
    "Keywords",
    "Synopsis",
    "Comment",
    "Description",
    "ReleaseList",
    "Release",
    "TrackRelease",
    "ReleaseId",
    "ICPN",
    "EAN",
    "UPC",
    "GRid",
    "ISAN",
    "ReleaseReference",
    "ReleaseType",
    "ReleaseResourceReferenceList",
    "ReleaseResourceReference",
    "LinkedReleaseResourceReference",
    "ReleaseDetailsByTerritory",
    "ReleaseLabelReference",
    "ReleaseDate",
    "GlobalOriginalReleaseDate",
    "ReleaseDisplayStartDateTime",
    "ReleaseVisibility",
    "ReleaseVisibilityReference",
    "VisibilityReference",
    "CoverArtPreviewStartDateTime",
    "FullTrackListingPreviewStartDateTime",
    "ClipPreviewStartDateTime",
    "RelatedRelease",
    "ReleaseRelationshipType",
    "ResourceGroup",
    "ResourceGroupContentItem",
    "ResourceGroupResourceReference",
    "SequenceNumber",
    "IsMultiArtistCompilation",
    "IsCompilation",
    "DealList",
    "ReleaseDeal",
    "DealReleaseReference",
    "Deal",
    "DealTerms",
    "CommercialModelType",
    "UseType",
    "Usage",
    "ValidityPeriod",
    "StartDate",
    "EndDate",
    "StartDateTime",
    "EndDateTime",
    "PriceInformation",
    "PriceCode",
    "PriceType",
    "WholesalePricePerUnit",
    "TakeDown",
    "PurgedRelease",
    "MarketingComment",
    "Territory",
    "DistributionChannel",
    "ResourceOmissionReason",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_durations() {
        assert_eq!(iso_duration_seconds("PT3M45S"), Some(225));
        assert_eq!(iso_duration_seconds("PT1H2M3.5S"), Some(3723));
        assert_eq!(iso_duration_seconds("PT0H0M0S"), Some(0));
        assert_eq!(iso_duration_seconds("P1DT1S"), Some(86_401));
        for bad in ["3M45S", "PT3X", "PT3", "", "P", "P999999999999999999D", "PT99999999999999999H"] {
            assert_eq!(iso_duration_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn not_ern_and_broken_xml_are_named() {
        let e = read_ern(b"<?xml version=\"1.0\"?>\n<html><body/></html>").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2: ER html: root element \"html\" is not an ERN NewReleaseMessage or PurgeReleaseMessage"
        );
        let e = read_ern(b"<?xml version=\"1.0\"?>\n<a>\n<b></a>").unwrap_err();
        assert!(e.to_string().starts_with("line 3: ER: malformed XML at line 3"), "{e}");
        let e = read_ern(b"<NewReleaseMessage xmlns=\"http://example.com/ern/43\"/>").unwrap_err();
        assert!(e.to_string().contains("is not ERN 3.8.2, 4.1.1, 4.2 or 4.3"), "{e}");
    }
}
