//! `bench audio`: fingerprint extraction speed against `fpcalc`, and recognition of 10-second excerpts of
//! real music (Debian's `wesnoth-1.16-music`, 41 orchestral tracks) under distortions made with `sox` and
//! `lame`, with false positives counted on music that is not registered (`singularity-music`). Needs those
//! packages and tools installed (`apt-get install wesnoth-1.16-music singularity-music sox lame
//! libchromaprint-tools`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use fingerprint::recognise::{Index, Reference};

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
fn excerpt(source: &Path, offset: f64, d: Distortion, dir: &Path, rng: &mut Rng) -> Result<Vec<Vec<u32>>> {
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
    Ok(fingerprint::query_fingerprints(&audio)?)
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

fn recognition(tracks: &[PathBuf], negatives: &[PathBuf], dir: &Path, quick: bool) -> Result<()> {
    let t = Instant::now();
    let mut references = Vec::new();
    let mut lengths = Vec::new();
    for (i, f) in tracks.iter().enumerate() {
        let audio = fingerprint::decode_file(f)?;
        lengths.push(audio.seconds());
        references.push(Reference { key: format!("T{i:02}"), fingerprint: fingerprint::chromaprint(&audio)? });
    }
    let index = Index::build(references);
    println!();
    println!(
        "registry: {} tracks ({:.0} minutes), fingerprinted and indexed in {:.1} s",
        tracks.len(),
        lengths.iter().sum::<f64>() / 60.0,
        t.elapsed().as_secs_f64()
    );
    // Negatives: excerpts of music that is not registered; the threshold is set on one half.
    let mut rng = Rng::new(2026);
    let mut negative_scores = Vec::new();
    let per_track = if quick { 4 } else { 16 };
    for f in negatives {
        let seconds = seconds_of(f)?;
        for _ in 0..per_track {
            let offset = (rng.next_u64() % ((seconds - 12.0).max(1.0) as u64 * 1000)) as f64 / 1000.0;
            let print = excerpt(f, offset, Distortion::None, dir, &mut rng)?;
            let best = index.identify_variants(&print, 1, 0.0);
            if std::env::var("BENCH_DEBUG").is_ok()
                && let Some(c) = best.first()
            {
                eprintln!("negative {} at {offset:.1}: {} {:.3} {}", f.display(), c.key, c.confidence, c.explanation);
            }
            negative_scores.push(best.first().map_or(0.0, |c| c.confidence));
        }
    }
    let half = negative_scores.len() / 2;
    let threshold = negative_scores[..half].iter().cloned().fold(0.0f64, f64::max) + 0.01;
    let false_positives = negative_scores[half..].iter().filter(|s| **s >= threshold).count();
    println!(
        "negatives: {} excerpts of {} unregistered tracks; threshold fixed on the first {half}: confidence ≥ {threshold:.3}; false positives on the other {}: {false_positives}",
        negative_scores.len(),
        negatives.len(),
        negative_scores.len() - half
    );
    println!();
    println!("| distortion | hits | hit rate | median confidence of hits |");
    println!("|---|---:|---:|---:|");
    let tracks_used: Vec<usize> =
        if quick { (0..tracks.len()).step_by(8).collect() } else { (0..tracks.len()).collect() };
    for d in DISTORTIONS {
        let (mut hits, mut total, mut confidences) = (0, 0, Vec::new());
        let mut offsets = Rng::new(7);
        for &i in &tracks_used {
            for _ in 0..3 {
                let offset = (offsets.next_u64() % ((lengths[i] - 12.0).max(1.0) as u64 * 1000)) as f64 / 1000.0;
                let print = excerpt(&tracks[i], offset, d, dir, &mut rng)?;
                total += 1;
                if let Some(best) = index.identify_variants(&print, 1, threshold).first()
                    && best.key == format!("T{i:02}")
                {
                    hits += 1;
                    confidences.push(best.confidence);
                }
            }
        }
        confidences.sort_by(f64::total_cmp);
        let median = confidences.get(confidences.len() / 2).copied().unwrap_or(0.0);
        println!(
            "| {} | {hits}/{total} | {:.0}% | {median:.2} |",
            d.label(),
            100.0 * f64::from(hits) / f64::from(total.max(1))
        );
    }
    Ok(())
}

/// Index size per hour of audio and query latency on a registry of `count` recordings, grown from the real
/// fingerprints of the wesnoth tracks: each synthetic recording joins two 90-second stretches cut at seeded
/// offsets from real tracks, with every item's bits rotated by an amount of its own (so the items keep the
/// bit patterns of real music, yet no synthetic recording is a copy of a real one) and one bit flipped.
fn at_scale(tracks: &[PathBuf], count: usize) -> Result<()> {
    let mut real = Vec::new();
    for f in tracks {
        real.push(fingerprint::chromaprint(&fingerprint::decode_file(f)?)?);
    }
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
    let mut latencies = Vec::new();
    let mut hits = 0;
    for q in 0..200usize {
        let track = q % real.len();
        let start = (rng.next_u64() % (real[track].len().saturating_sub(90).max(1)) as u64) as usize;
        let query: Vec<u32> = real[track][start..(start + 80).min(real[track].len())].to_vec();
        let t = Instant::now();
        let found = index.identify(&query, 1, 0.5);
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        hits += usize::from(found.first().is_some_and(|c| c.key == format!("T{track:02}")));
    }
    latencies.sort_by(f64::total_cmp);
    println!("registry: {} recordings, {hours:.0} hours of audio, index built in {build:.1} s", index.len());
    println!("| index size | per hour of audio | query p50 | query p99 | hits (10 s clean excerpts) |");
    println!("|---:|---:|---:|---:|---:|");
    println!(
        "| {:.0} MiB | {:.2} MiB | {:.1} ms | {:.1} ms | {hits}/200 |",
        index.size_bytes() as f64 / (1 << 20) as f64,
        index.size_bytes() as f64 / (1 << 20) as f64 / hours,
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 99 / 100]
    );
    Ok(())
}
