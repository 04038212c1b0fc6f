//! Every ERN fixture, read with literal expected counts, and each reading pinned in a snapshot a person can
//! check against the XML.

use formats::ern::{ErnMessage, ErnVersion, MessageKind, read_ern};

fn read(name: &str) -> ErnMessage {
    let path = format!("{}/tests/fixtures/ern/{name}", env!("CARGO_MANIFEST_DIR"));
    read_ern(&std::fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A readable summary of a message: what the engine will store from it.
fn summary(m: &ErnMessage) -> String {
    let mut out = format!(
        "{:?} {:?} message {} from {:?} at {}{}\n",
        m.version,
        m.kind,
        m.message_id,
        m.sender,
        m.created,
        if m.test { " (test)" } else { "" }
    );
    for r in &m.recordings {
        out.push_str(&format!(
            "recording {} line {}: {} {:?}{} by {:?}; {}s; label {:?}; P {:?}; ISWC {:?}; ids {:?}\n",
            r.reference,
            r.line,
            r.isrc.as_ref().map_or("-".to_owned(), ToString::to_string),
            r.title,
            r.subtitle.as_ref().map_or(String::new(), |s| format!(" ({s})")),
            r.display_artists,
            r.duration_seconds.map_or("-".to_owned(), |d| d.to_string()),
            r.label,
            r.p_line,
            r.iswcs.iter().map(ToString::to_string).collect::<Vec<_>>(),
            r.proprietary_ids,
        ));
        for c in &r.contributors {
            out.push_str(&format!(
                "  contributor {:?} {:?}{}\n",
                c.name,
                c.roles,
                if c.indirect { " (work)" } else { "" }
            ));
        }
    }
    for r in &m.releases {
        out.push_str(&format!(
            "release {} line {}: ICPN {:?} GRid {:?} {:?} label {:?}; tracks {:?}\n",
            r.reference, r.line, r.icpn, r.grid, r.title, r.label, r.tracks
        ));
    }
    for p in &m.purged {
        out.push_str(&format!("purge: ICPN {:?} GRid {:?} ids {:?}\n", p.icpn, p.grid, p.proprietary_ids));
    }
    for d in &m.diagnostics {
        out.push_str(&format!("{d}\n"));
    }
    out
}

#[test]
fn the_ern_43_samples() {
    let audio = read("1_Audio.xml");
    assert_eq!(
        (audio.version, audio.kind, audio.recordings.len(), audio.releases.len()),
        (ErnVersion::V43, MessageKind::NewRelease, 21, 1)
    );
    assert!(audio.recordings.iter().all(|r| r.isrc.is_some() && !r.title.is_empty() && !r.display_artists.is_empty()));
    assert_eq!(audio.releases[0].tracks.len(), 21);
    expect_test::expect_file!["snapshots/ern-1_Audio.txt"].assert_eq(&summary(&audio));
    let single = read("4_SimpleAudioSingle.xml");
    assert_eq!((single.recordings.len(), single.releases.len()), (1, 1));
    expect_test::expect_file!["snapshots/ern-4_SimpleAudioSingle.txt"].assert_eq(&summary(&single));
    let mix = read("8_DjMix.xml");
    assert_eq!(mix.releases.len(), 1);
    expect_test::expect_file!["snapshots/ern-8_DjMix.txt"].assert_eq(&summary(&mix));
}

#[test]
fn the_ern_411_and_42_samples() {
    for (prefix, version) in [("ern411", ErnVersion::V411), ("ern42", ErnVersion::V42)] {
        let audio = read(&format!("{prefix}__1_Audio.xml"));
        assert_eq!(
            (audio.version, audio.kind, audio.recordings.len(), audio.releases.len()),
            (version, MessageKind::NewRelease, 21, 1),
            "{prefix}"
        );
        assert!(audio.recordings.iter().all(|r| r.isrc.is_some() && !r.title.is_empty()), "{prefix}");
        assert_eq!(audio.releases[0].tracks.len(), 21, "{prefix}");
        expect_test::expect_file![format!("snapshots/ern-{prefix}__1_Audio.txt")].assert_eq(&summary(&audio));
        let mix = read(&format!("{prefix}__8_DjMix.xml"));
        assert_eq!((mix.version, mix.recordings.len(), mix.releases.len()), (version, 9, 1), "{prefix}");
        assert_eq!(mix.recordings.iter().filter(|r| r.isrc.is_some()).count(), 1, "{prefix}");
        expect_test::expect_file![format!("snapshots/ern-{prefix}__8_DjMix.txt")].assert_eq(&summary(&mix));
    }
}

#[test]
fn the_ern_382_samples() {
    for name in ["audius__01_delivery.xml", "audius__album_basic.xml", "audius__track_basic.xml"] {
        let m = read(name);
        assert_eq!((m.version, m.kind, m.releases.len()), (ErnVersion::V382, MessageKind::NewRelease, 1), "{name}");
        assert_eq!(m.recordings.len(), 1, "{name}");
        expect_test::expect_file![format!("snapshots/ern-{name}.txt")].assert_eq(&summary(&m));
    }
    let purge = read("audius__03_delete.xml");
    assert_eq!((purge.kind, purge.purged.len()), (MessageKind::PurgeRelease, 1));
    assert_eq!(purge.purged[0].key().as_deref(), Some("A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6Q7R8S9T0"));
}

#[test]
fn a_non_ern_file_and_a_truncated_file_get_clear_errors() {
    // Every fixture, cut at several points (never inside a character): the error is where the text ends.
    let dir = format!("{}/tests/fixtures/ern", env!("CARGO_MANIFEST_DIR"));
    let mut cuts = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "xml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for share in [3, 5, 8] {
            let mut at = text.len() * share / 10;
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let cut = &text[..at];
            let e = read_ern(cut.as_bytes()).unwrap_err().to_string();
            let line = cut.matches('\n').count() + 1;
            assert!(
                e.starts_with(&format!("line {line}: ER")) && e.contains(&format!("line {line}")),
                "{}: cut at byte {at} (line {line}): {e}",
                path.display()
            );
            cuts += 1;
        }
    }
    assert!(cuts >= 30, "{cuts}");
    // UTF-16 is named as such.
    let utf16: Vec<u8> = "\u{feff}<?xml version=\"1.0\"?><a/>".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let e = read_ern(&utf16).unwrap_err().to_string();
    assert!(e.contains("the message is UTF-16: DDEX messages must be UTF-8"), "{e}");
    let unknown = String::from_utf8(
        std::fs::read(format!("{}/tests/fixtures/ern/audius__track_basic.xml", env!("CARGO_MANIFEST_DIR"))).unwrap(),
    )
    .unwrap()
    .replacen("<Duration>", "<MoodTag>calm</MoodTag><Duration>", 1);
    let read = read_ern(unknown.as_bytes()).unwrap();
    assert_eq!(
        read.diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["line 35: W MoodTag: element MoodTag is not one Tantiem reads; passed over"]
    );
    assert_eq!(read.recordings.len(), 1);
    let e = read_ern(b"<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel/></rss>\n").unwrap_err().to_string();
    assert_eq!(e, "line 2: ER rss: root element \"rss\" is not an ERN NewReleaseMessage or PurgeReleaseMessage");
}
