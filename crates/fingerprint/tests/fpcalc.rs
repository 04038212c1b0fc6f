//! The fingerprint is bit-identical to `fpcalc -raw -length 0` (Debian `libchromaprint-tools`) on the same
//! 11025 Hz mono WAV; FLAC, Ogg Vorbis and MP3 made from the same clip with `sox` and `lame` decode and give
//! the same (FLAC) or nearly the same (lossy) fingerprint. The audio is generated here (a seeded melody of
//! tones with noise, 30 seconds), never stored in the repository. `fpcalc`, `sox` and `lame` must be
//! installed (`.ci/run` installs them): a missing one fails.

use std::process::Command;

/// The 30-second clip the codec tests use.
fn clip() -> Vec<i16> {
    testkit::audio::melody(2026, 30.0, 1.0, 0.02)
}

fn wav(rate: u32, samples: &[i16]) -> Vec<u8> {
    let data = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

#[test]
fn the_fingerprint_is_bit_identical_to_fpcalc() {
    let dir = std::env::temp_dir().join(format!("tantiem-fpcalc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("clip.wav");
    std::fs::write(&path, wav(11_025, &clip())).unwrap();
    let output = Command::new("fpcalc")
        .args(["-raw", "-length", "0"])
        .arg(&path)
        .output()
        .expect("fpcalc is not installed: install Debian's libchromaprint-tools (.ci/run does)");
    // Debian's fpcalc 1.5.1 with a newer FFmpeg reports "Error decoding audio frame (End of file)" and exits
    // with 3 at the end of every file, after printing the whole fingerprint: the output decides.
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("FINGERPRINT="),
        "fpcalc printed no fingerprint: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs: Vec<u32> = text
        .lines()
        .find_map(|l| l.strip_prefix("FINGERPRINT="))
        .unwrap_or_default()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    let audio = fingerprint::decode_file(&path).unwrap();
    assert_eq!((audio.sample_rate, audio.channels, audio.samples.len()), (11_025, 1, 330_750));
    let ours = fingerprint::chromaprint(&audio).unwrap();
    assert!(theirs.len() > 200, "{} items", theirs.len());
    assert_eq!(ours, theirs);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The share of differing bits between two fingerprints over their common length.
fn bit_error_rate(a: &[u32], b: &[u32]) -> f64 {
    let n = a.len().min(b.len());
    let differing: u32 = a.iter().zip(b).take(n).map(|(x, y)| (x ^ y).count_ones()).sum();
    f64::from(differing) / (n as f64 * 32.0)
}

fn run(program: &str, args: &[&std::ffi::OsStr]) {
    let status = Command::new(program)
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("{program} is not installed ({e}): .ci/run installs it"));
    assert!(status.success(), "{program} failed");
}

#[test]
fn flac_vorbis_and_mp3_decode_to_the_same_music() {
    let dir = std::env::temp_dir().join(format!("tantiem-codecs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wav_path = dir.join("clip.wav");
    std::fs::write(&wav_path, wav(11_025, &clip())).unwrap();
    let reference = fingerprint::chromaprint(&fingerprint::decode_file(&wav_path).unwrap()).unwrap();
    let flac = dir.join("clip.flac");
    let ogg = dir.join("clip.ogg");
    let mp3 = dir.join("clip.mp3");
    run("sox", &[wav_path.as_os_str(), flac.as_os_str()]);
    run("sox", &[wav_path.as_os_str(), ogg.as_os_str()]);
    run("lame", &["--quiet".as_ref(), "-b".as_ref(), "128".as_ref(), wav_path.as_os_str(), mp3.as_os_str()]);
    let flac_audio = fingerprint::decode_file(&flac).unwrap();
    assert_eq!((flac_audio.sample_rate, flac_audio.channels, flac_audio.samples.len()), (11_025, 1, 330_750));
    assert_eq!(fingerprint::chromaprint(&flac_audio).unwrap(), reference, "FLAC is lossless");
    for lossy in [&ogg, &mp3] {
        let audio = fingerprint::decode_file(lossy).unwrap();
        assert!((audio.seconds() - 30.0).abs() < 0.2, "{}: {} s", lossy.display(), audio.seconds());
        let ber = bit_error_rate(&fingerprint::chromaprint(&audio).unwrap(), &reference);
        assert!(ber < 0.15, "{}: bit error rate {ber}", lossy.display());
    }
    let opus = dir.join("clip.opus");
    std::fs::write(&opus, b"OggS").unwrap();
    assert!(fingerprint::decode_file(&opus).unwrap_err().to_string().contains("Opus"));
    let junk = dir.join("junk.wav");
    std::fs::write(&junk, b"not audio at all").unwrap();
    assert!(fingerprint::decode_file(&junk).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_fragment_and_a_whole_file_are_recognised_and_other_music_is_not() {
    use fingerprint::recognise::{Index, Reference};
    let prints: Vec<Vec<u32>> = (0..5u64)
        .map(|seed| {
            let audio = fingerprint::Audio {
                sample_rate: 11_025,
                channels: 1,
                samples: testkit::audio::melody(seed, 40.0, 1.0, 0.0),
            };
            fingerprint::chromaprint(&audio).unwrap()
        })
        .collect();
    let index = Index::build(
        prints.iter().enumerate().map(|(i, p)| Reference { key: format!("R{i}"), fingerprint: p.clone() }).collect(),
    );
    // The whole of recording 3: the best candidate, covering it all.
    let whole = index.identify(&prints[3], 3, 0.5);
    assert_eq!(whole[0].key, "R3");
    assert!(whole[0].whole && whole[0].confidence > 0.99, "{:?}", whole[0]);
    // Ten seconds of recording 2, from its 15th second, with noise added.
    let mut rng = testkit::SplitMix64::new(99);
    let excerpt: Vec<i16> = testkit::audio::melody(2, 40.0, 1.0, 0.0)[15 * 11_025..25 * 11_025]
        .iter()
        .map(|s| s.saturating_add((rng.next_u64() % 1500) as i16 - 750))
        .collect();
    let query =
        fingerprint::chromaprint(&fingerprint::Audio { sample_rate: 11_025, channels: 1, samples: excerpt }).unwrap();
    let found = index.identify(&query, 3, 0.5);
    assert_eq!(found[0].key, "R2", "{found:?}");
    assert!(!found[0].whole);
    assert!((found[0].reference_offset_seconds - 15.0).abs() < 1.0, "{:?}", found[0]);
    // Ten seconds of recording 4 inside a minute of other music (an AI output quoting it): found, and where.
    let mut long = testkit::audio::melody(50, 25.0, 1.0, 0.0);
    long.extend_from_slice(&testkit::audio::melody(4, 40.0, 1.0, 0.0)[5 * 11_025..15 * 11_025]);
    long.extend(testkit::audio::melody(51, 25.0, 1.0, 0.0));
    let inside =
        fingerprint::chromaprint(&fingerprint::Audio { sample_rate: 11_025, channels: 1, samples: long }).unwrap();
    let found = index.identify(&inside, 3, 0.5);
    assert_eq!(found[0].key, "R4", "{found:?}");
    assert!(
        (found[0].query_offset_seconds - 25.0).abs() < 3.5 && (found[0].reference_offset_seconds - 5.0).abs() < 3.5,
        "{:?}",
        found[0]
    );
    // Music that is not registered finds nothing above the threshold.
    let other = fingerprint::chromaprint(&fingerprint::Audio {
        sample_rate: 11_025,
        channels: 1,
        samples: testkit::audio::melody(77, 10.0, 1.0, 0.0),
    })
    .unwrap();
    assert!(index.identify(&other, 3, 0.5).is_empty());
}
