//! `bench audio`: fingerprint extraction speed against `fpcalc`, and recognition of 10-second excerpts of
//! real music (Debian's `wesnoth-1.16-music`, 41 orchestral tracks) under distortions made with `sox` and
//! `lame`, with false positives counted on music that is not registered (`singularity-music`). Needs those
//! packages and tools installed (`apt-get install wesnoth-1.16-music singularity-music sox lame
//! libchromaprint-tools`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use fingerprint::landmarks;
use fingerprint::recognise::{Index, Reference};
use fingerprint::recogniser::{Prints, Query, Recogniser, Thresholds};

const WESNOTH: &str = "/usr/share/games/wesnoth/1.16/data/core/music";
const SINGULARITY: &str = "/usr/share/games/singularity/music";

/// Seeded, so excerpt offsets and noise are the same on every run.
type Rng = testkit::SplitMix64;

fn ogg_files(dir: &str) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{dir} is missing: install the Debian package (see `bench audio --help`)"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ogg"))
        .collect();
    files.sort();
    Ok(files)
}

fn run(program: &str, args: &[&std::ffi::OsStr]) -> Result<()> {
    let out = Command::new(program).args(args).output().with_context(|| format!("{program} is not installed"))?;
    if !out.status.success() {
        bail!("{program} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

fn seconds_of(path: &Path) -> Result<f64> {
    Ok(fingerprint::decode_file(path)?.seconds())
}

/// The distortions, as sox effects (or an MP3 round trip, or added white noise at an SNR).
#[derive(Debug, Clone, Copy)]
enum Distortion {
    None,
    Mp3At64,
    Noise(f64),
    BandPass,
    Pitch(f64),
    Speed(f64),
}

impl Distortion {
    fn label(self) -> String {
        match self {
            Distortion::None => "none".into(),
            Distortion::Mp3At64 => "MP3 64 kbit/s".into(),
            Distortion::Noise(db) => format!("white noise {db} dB SNR"),
            Distortion::BandPass => "band-pass 300–3,400 Hz".into(),
            Distortion::Pitch(p) => format!("pitch +{p}%"),
            Distortion::Speed(p) => format!("speed +{p}%"),
        }
    }
}

const DISTORTIONS: [Distortion; 9] = [
    Distortion::None,
    Distortion::Mp3At64,
    Distortion::Noise(10.0),
    Distortion::Noise(0.0),
    Distortion::BandPass,
    Distortion::Pitch(1.0),
    Distortion::Pitch(3.0),
    Distortion::Speed(1.0),
    Distortion::Speed(3.0),
];

/// Cuts a 10-second excerpt at `offset` and applies the distortion; returns its query fingerprints.
fn excerpt(source: &Path, offset: f64, d: Distortion, dir: &Path, rng: &mut Rng) -> Result<Query> {
    let wav = dir.join("excerpt.wav");
    let mut args: Vec<String> = vec![
        source.display().to_string(),
        wav.display().to_string(),
        "trim".into(),
        format!("{offset:.3}"),
        "10".into(),
    ];
    match d {
        Distortion::BandPass => args.extend(["sinc".into(), "300-3400".into()]),
        // sox's pitch takes cents: +1% is 1200 × log2(1.01) ≈ 17.2 cents.
        Distortion::Pitch(p) => args.extend(["pitch".into(), format!("{:.1}", 1200.0 * (1.0 + p / 100.0).log2())]),
        // A playback speed change: pitch and tempo together, as a player running fast does.
        Distortion::Speed(p) => args.extend(["speed".into(), format!("{:.3}", 1.0 + p / 100.0)]),
        _ => {}
    }
    let os: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
    run("sox", &os)?;
    let mut audio = match d {
        Distortion::Mp3At64 => {
            let mp3 = dir.join("excerpt.mp3");
            run("lame", &["--quiet".as_ref(), "-b".as_ref(), "64".as_ref(), wav.as_os_str(), mp3.as_os_str()])?;
            fingerprint::decode_file(&mp3)?
        }
        _ => fingerprint::decode_file(&wav)?,
    };
    if let Distortion::Noise(snr) = d {
        add_noise(&mut audio.samples, snr, rng);
    }
    Ok(Query::of(&audio)?)
}

/// Adds white noise at a signal-to-noise ratio in dB.
fn add_noise(samples: &mut [i16], snr_db: f64, rng: &mut Rng) {
    let power = samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / samples.len().max(1) as f64;
    let noise_rms = (power / 10f64.powf(snr_db / 10.0)).sqrt();
    // Uniform noise in [-a, a] has RMS a/√3.
    let amplitude = noise_rms * 3f64.sqrt();
    for s in samples.iter_mut() {
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
        *s = (f64::from(*s) + u * amplitude).clamp(-32768.0, 32767.0) as i16;
    }
}

pub fn run_bench(args: &[String]) -> Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    let dir = std::env::temp_dir().join(format!("tantiem-bench-audio-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let tracks = ogg_files(WESNOTH)?;
    let negatives = ogg_files(SINGULARITY)?;
    let scale = args.iter().position(|a| a == "--scale").and_then(|i| args.get(i + 1)).and_then(|n| n.parse().ok());
    if let Some(recordings) = scale {
        return at_scale(&tracks, recordings);
    }
    extraction(&tracks[..if quick { 3 } else { 10 }], &dir)?;
    recognition(&tracks, &negatives, &dir, quick)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Extraction speed, decoding included, Tantiem (in one process) and fpcalc (a process per file).
fn extraction(files: &[PathBuf], dir: &Path) -> Result<()> {
    let mut wavs = Vec::new();
    let mut mp3s = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let wav = dir.join(format!("t{i}.wav"));
        let mp3 = dir.join(format!("t{i}.mp3"));
        run("sox", &[f.as_os_str(), wav.as_os_str()])?;
        run("lame", &["--quiet".as_ref(), "-b".as_ref(), "128".as_ref(), wav.as_os_str(), mp3.as_os_str()])?;
        wavs.push(wav);
        mp3s.push(mp3);
    }
    let audio_seconds: f64 = wavs.iter().map(|w| seconds_of(w)).sum::<Result<f64>>()?;
    println!("extraction: {} tracks, {:.0} s of audio, 44.1 kHz stereo", files.len(), audio_seconds);
    println!("| input | Tantiem × realtime | fpcalc × realtime |");
    println!("|---|---:|---:|");
    for (label, set) in [("WAV", &wavs), ("MP3 128k", &mp3s)] {
        let t = Instant::now();
        for f in set.iter() {
            std::hint::black_box(fingerprint::chromaprint(&fingerprint::decode_file(f)?)?);
        }
        let ours = audio_seconds / t.elapsed().as_secs_f64();
        let t = Instant::now();
        for f in set.iter() {
            let out = Command::new("fpcalc")
                .args(["-raw", "-length", "0"])
                .arg(f)
                .output()
                .context("fpcalc is not installed")?;
            std::hint::black_box(out.stdout.len());
        }
        let theirs = audio_seconds / t.elapsed().as_secs_f64();
        println!("| {label} | {ours:.0}× | {theirs:.0}× |");
    }
    Ok(())
}

/// Each method's best candidate on its own: (key, confidence) or none.
fn best_of_each(recogniser: &Recogniser, q: &Query) -> [Option<(String, f64)>; 2] {
    let c = recogniser.chromaprint().identify_variants(&q.chromaprints, 1, 0.0).into_iter().next();
    let l = recogniser.landmarks().identify(&q.peaks, 1, 0.0).into_iter().next();
    if std::env::var("BENCH_DEBUG").is_ok() {
        eprintln!("  chromaprint {:?}", c.as_ref().map(|c| (&c.key, c.confidence, &c.explanation)));
        eprintln!("  landmarks {:?}", l.as_ref().map(|c| (&c.key, c.confidence, &c.explanation)));
    }
    [c.map(|c| (c.key, c.confidence)), l.map(|c| (c.key, c.confidence))]
}

fn recognition(tracks: &[PathBuf], negatives: &[PathBuf], dir: &Path, quick: bool) -> Result<()> {
    let t = Instant::now();
    let (mut prints, mut lengths) = (Vec::new(), Vec::new());
    for (i, f) in tracks.iter().enumerate() {
        let audio = fingerprint::decode_file(f)?;
        lengths.push(audio.seconds());
        prints.push((format!("T{i:02}"), Prints::of(&audio)?));
    }
    let recogniser = Recogniser::build(prints);
    println!();
    println!(
        "registry: {} tracks ({:.0} minutes), fingerprinted and indexed in {:.1} s; landmark index {:.1} MiB",
        tracks.len(),
        lengths.iter().sum::<f64>() / 60.0,
        t.elapsed().as_secs_f64(),
        recogniser.landmarks().size_bytes() as f64 / f64::from(1 << 20)
    );
    // Negatives: excerpts of music that is not registered; each method's threshold is set on one half.
    let mut rng = Rng::new(2026);
    let mut negative_scores: Vec<[f64; 2]> = Vec::new();
    let per_track = if quick { 4 } else { 16 };
    for f in negatives {
        let seconds = seconds_of(f)?;
        for _ in 0..per_track {
            let offset = (rng.next_u64() % ((seconds - 12.0).max(1.0) as u64 * 1000)) as f64 / 1000.0;
            let query = excerpt(f, offset, Distortion::None, dir, &mut rng)?;
            let best = best_of_each(&recogniser, &query);
            negative_scores.push(best.map(|b| b.map_or(0.0, |(_, c)| c)));
        }
    }
    let half = negative_scores.len() / 2;
    if std::env::var("BENCH_DEBUG").is_ok() {
        for (name, m) in [("Chromaprint", 0), ("landmarks", 1)] {
            for (part, range) in [("first", 0..half), ("second", half..negative_scores.len())] {
                let mut scores: Vec<f64> = negative_scores[range].iter().map(|s| s[m]).collect();
                scores.sort_by(|a, b| b.total_cmp(a));
                eprintln!("{name} negatives, {part} half, highest: {:?}", &scores[..8]);
            }
        }
    }
    // A tenth of the way from the highest score of unregistered music to certainty.
    let threshold = |m: usize| {
        let highest = negative_scores[..half].iter().map(|s| s[m]).fold(0.0f64, f64::max);
        highest + (1.0 - highest) / 10.0
    };
    let thresholds = [threshold(0), threshold(1)];
    let false_positives = |pass: &dyn Fn(&[f64; 2]) -> bool| negative_scores[half..].iter().filter(|s| pass(s)).count();
    println!(
        "negatives: {} excerpts of {} unregistered tracks; thresholds fixed on the first {half}: Chromaprint ≥ {:.3}, landmarks ≥ {:.3}",
        negative_scores.len(),
        negatives.len(),
        thresholds[0],
        thresholds[1]
    );
    println!(
        "false positives on the other {}: Chromaprint {}, landmarks {}, either {}",
        negative_scores.len() - half,
        false_positives(&|s| s[0] >= thresholds[0]),
        false_positives(&|s| s[1] >= thresholds[1]),
        false_positives(&|s| s[0] >= thresholds[0] || s[1] >= thresholds[1])
    );
    println!();
    println!("| distortion | Chromaprint | spectral peaks | Tantiem (both, ranked) | hit rate |");
    println!("|---|---:|---:|---:|---:|");
    let tracks_used: Vec<usize> =
        if quick { (0..tracks.len()).step_by(8).collect() } else { (0..tracks.len()).collect() };
    for d in DISTORTIONS {
        let (mut hits, mut total) = ([0u32; 3], 0u32);
        let mut offsets = Rng::new(7);
        for &i in &tracks_used {
            for _ in 0..3 {
                let offset = (offsets.next_u64() % ((lengths[i] - 12.0).max(1.0) as u64 * 1000)) as f64 / 1000.0;
                let query = excerpt(&tracks[i], offset, d, dir, &mut rng)?;
                total += 1;
                let key = format!("T{i:02}");
                let best = best_of_each(&recogniser, &query);
                let right: Vec<bool> =
                    (0..2).map(|m| best[m].as_ref().is_some_and(|(k, c)| *k == key && *c >= thresholds[m])).collect();
                hits[0] += u32::from(right[0]);
                hits[1] += u32::from(right[1]);
                // What `audio identify` answers: both methods ranked together by strength.
                let thresholds = Thresholds { chromaprint: thresholds[0], landmarks: thresholds[1] };
                hits[2] += u32::from(recogniser.identify(&query, 1, thresholds).first().is_some_and(|m| m.key == key));
            }
        }
        println!(
            "| {} | {}/{total} | {}/{total} | {}/{total} | {:.0}% |",
            d.label(),
            hits[0],
            hits[1],
            hits[2],
            100.0 * f64::from(hits[2]) / f64::from(total.max(1))
        );
    }
    Ok(())
}

/// Index size per hour of audio and query latency on a registry of `count` recordings, for each
/// fingerprint in turn (one index in memory at a time), grown from the real fingerprints of the wesnoth tracks.
fn at_scale(tracks: &[PathBuf], count: usize) -> Result<()> {
    let mut chromaprints = Vec::new();
    let mut peaks = Vec::new();
    for f in tracks {
        let audio = fingerprint::decode_file(f)?;
        chromaprints.push(fingerprint::chromaprint(&audio)?);
        peaks.push(landmarks::peaks(&audio)?);
    }
    println!(
        "| fingerprint | recordings | hours | index | per hour of audio | build | query p50 | query p99 | hits (10 s clean) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    chromaprint_at_scale(&chromaprints, count)?;
    landmarks_at_scale(&peaks, count)
}

/// Prints one row of the scale table from the query latencies in milliseconds.
fn scale_row(
    name: &str,
    recordings: usize,
    hours: f64,
    bytes: usize,
    build: f64,
    mut latencies: Vec<f64>,
    hits: usize,
) {
    latencies.sort_by(f64::total_cmp);
    let mib = bytes as f64 / f64::from(1 << 20);
    println!(
        "| {name} | {recordings} | {hours:.0} | {mib:.0} MiB | {:.2} MiB | {build:.1} s | {:.1} ms | {:.1} ms | {hits}/{} |",
        mib / hours,
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 99 / 100],
        latencies.len()
    );
}

/// Chromaprint: each synthetic recording joins two 90-second stretches cut at seeded offsets from real
/// tracks, with every item's bits rotated by an amount of its own (so the items keep the bit patterns of real
/// music, yet no synthetic recording is a copy of a real one) and one bit flipped.
fn chromaprint_at_scale(real: &[Vec<u32>], count: usize) -> Result<()> {
    let mut rng = Rng::new(42);
    let mut references = Vec::with_capacity(count);
    let mut items = 0usize;
    for i in 0..count {
        let mut print = Vec::with_capacity(1_500);
        for _ in 0..2 {
            let source = &real[(rng.next_u64() % real.len() as u64) as usize];
            let start = (rng.next_u64() % (source.len().saturating_sub(740).max(1)) as u64) as usize;
            let rotation = 1 + (i % 31) as u32;
            print.extend(
                source[start..(start + 740).min(source.len())]
                    .iter()
                    .map(|x| x.rotate_left(rotation) ^ (1u32 << (rng.next_u64() % 32))),
            );
        }
        items += print.len();
        references.push(Reference { key: format!("S{i:06}"), fingerprint: print });
    }
    // The real tracks themselves, so queries have a true answer.
    for (i, p) in real.iter().enumerate() {
        items += p.len();
        references.push(Reference { key: format!("T{i:02}"), fingerprint: p.clone() });
    }
    let hours = items as f64 * fingerprint::item_seconds() / 3600.0;
    let t = Instant::now();
    let index = Index::build(references);
    let build = t.elapsed().as_secs_f64();
    let (mut latencies, mut hits) = (Vec::new(), 0);
    for q in 0..200usize {
        let track = q % real.len();
        let start = (rng.next_u64() % (real[track].len().saturating_sub(90).max(1)) as u64) as usize;
        let query: Vec<u32> = real[track][start..(start + 80).min(real[track].len())].to_vec();
        let t = Instant::now();
        let found = index.identify(&query, 1, 0.5);
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        hits += usize::from(found.first().is_some_and(|c| c.key == format!("T{track:02}")));
    }
    scale_row("Chromaprint", index.len(), hours, index.size_bytes(), build, latencies, hits);
    Ok(())
}

/// Spectral peaks: each synthetic recording joins two 90-second stretches of real tracks' peaks, each played
/// backwards and transposed by its own seeded number of tenths of a semitone: the peaks keep the density and
/// spacing of real music, yet form other triplets (transposition alone would not do: the peaks are made to
/// find a transposed copy).
fn landmarks_at_scale(real: &[Vec<u32>], count: usize) -> Result<()> {
    let stretch = (90.0 * landmarks::FRAMES_PER_SECOND) as u32;
    let cut = |peaks: &[u32], start: u32, frames: u32, to: u32, transpose: i32| -> Vec<u32> {
        peaks
            .iter()
            .filter(|p| (start..start + frames).contains(&(*p >> 10)))
            .map(|p| ((p >> 10) - start + to) << 10 | ((p & 0x3FF) as i32 + transpose).clamp(0, 1023) as u32)
            .collect()
    };
    let backwards = |mut peaks: Vec<u32>, frames: u32, to: u32| -> Vec<u32> {
        for p in peaks.iter_mut() {
            *p = (to + frames - 1 - ((*p >> 10) - to)) << 10 | (*p & 0x3FF);
        }
        peaks.sort_unstable();
        peaks
    };
    let mut rng = Rng::new(43);
    let mut references = Vec::with_capacity(count);
    let mut frames = 0u64;
    for i in 0..count {
        let mut peaks = Vec::new();
        for part in 0..2 {
            let source = &real[(rng.next_u64() % real.len() as u64) as usize];
            let length = source.last().map_or(0, |p| p >> 10);
            let start = (rng.next_u64() % u64::from(length.saturating_sub(stretch).max(1))) as u32;
            let transpose = (rng.next_u64() % 81) as i32 - 40;
            peaks.extend(backwards(cut(source, start, stretch, part * stretch, transpose), stretch, part * stretch));
        }
        frames += u64::from(peaks.last().map_or(0, |p| p >> 10));
        references.push(landmarks::Reference { key: format!("S{i:06}"), peaks });
    }
    for (i, p) in real.iter().enumerate() {
        frames += u64::from(p.last().map_or(0, |p| p >> 10));
        references.push(landmarks::Reference { key: format!("T{i:02}"), peaks: p.clone() });
    }
    let hours = frames as f64 / landmarks::FRAMES_PER_SECOND / 3600.0;
    let t = Instant::now();
    let index = landmarks::Index::build(references);
    let build = t.elapsed().as_secs_f64();
    let (mut latencies, mut hits) = (Vec::new(), 0);
    let ten_seconds = (10.0 * landmarks::FRAMES_PER_SECOND) as u32;
    for q in 0..200usize {
        let track = q % real.len();
        let length = real[track].last().map_or(0, |p| p >> 10);
        let start = (rng.next_u64() % u64::from(length.saturating_sub(ten_seconds + 40).max(1))) as u32;
        let query = cut(&real[track], start, ten_seconds, 0, 0);
        let t = Instant::now();
        let found = index.identify(&query, 1, fingerprint::recogniser::Thresholds::default().landmarks);
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        hits += usize::from(found.first().is_some_and(|c| c.key == format!("T{track:02}")));
    }
    scale_row("spectral peaks", index.len(), hours, index.size_bytes(), build, latencies, hits);
    Ok(())
}
