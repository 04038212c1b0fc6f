//! Decoding audio files into interleaved 16-bit samples, whatever the container and codec Symphonia reads.

use std::io::Read;
use std::path::Path;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, DecoderOptions};
use symphonia::core::errors::Error;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSourceStream, ReadOnlySource};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// The longest audio decoded (memory grows with it).
const MAX_SECONDS: u64 = 3 * 3600;

/// Decoded audio: interleaved 16-bit samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audio {
    pub sample_rate: u32,
    pub channels: u16,
    pub samples: Vec<i16>,
}

impl Audio {
    /// The length in seconds.
    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.channels.max(1)) / f64::from(self.sample_rate.max(1))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// Not marked as the error's source: the text already says it, and a chain of causes would say it twice.
    #[error("cannot read the file: {0}")]
    Io(std::io::Error),
    #[error("the file is empty (0 bytes): was it copied whole?")]
    Empty,
    #[error("not audio Tantiem can decode (WAV, FLAC, MP3, Ogg Vorbis): {0}")]
    Unsupported(String),
    #[error("the audio is damaged: {0}")]
    Damaged(String),
}

impl From<std::io::Error> for AudioError {
    fn from(e: std::io::Error) -> AudioError {
        AudioError::Io(e)
    }
}

/// Names a container Tantiem does not decode from its first bytes, so the refusal says what the file is.
fn unsupported_container(head: &[u8]) -> Option<&'static str> {
    if head.len() >= 8 && &head[4..8] == b"ftyp" {
        return Some("an MP4/M4A file (AAC or ALAC audio)");
    }
    if head.starts_with(b"OggS") && head.windows(8).any(|w| w == b"OpusHead") {
        return Some("an Ogg Opus file");
    }
    if head.starts_with(b"fLaC") || head.starts_with(b"RIFF") || head.starts_with(b"ID3") || head.starts_with(b"OggS") {
        return None;
    }
    if head.starts_with(&[0xFF, 0xF1]) || head.starts_with(&[0xFF, 0xF9]) {
        return Some("raw AAC (ADTS)");
    }
    if head.starts_with(&[0x30, 0x26, 0xB2, 0x75]) {
        return Some("a Windows Media (ASF/WMA) file");
    }
    if head.starts_with(b"FORM") {
        return Some("an AIFF file");
    }
    None
}

/// Decodes a file; its extension is a hint, the content decides.
pub fn decode_file(path: &Path) -> Result<Audio, AudioError> {
    let mut file = std::fs::File::open(path)?;
    let mut head = [0u8; 64];
    let read = file.read(&mut head)?;
    if read == 0 {
        return Err(AudioError::Empty);
    }
    if let Some(kind) = unsupported_container(&head[..read]) {
        return Err(AudioError::Unsupported(format!("it is {kind}: convert it to FLAC or WAV")));
    }
    std::io::Seek::rewind(&mut file)?;
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    if extension.as_deref() == Some("opus") {
        return Err(AudioError::Unsupported(
            "Opus has no well-kept pure-Rust decoder yet; convert it to FLAC or WAV".into(),
        ));
    }
    decode_source(MediaSourceStream::new(Box::new(file), Default::default()), extension.as_deref())
}

/// Decodes audio from any reader (read whole, as the decoders need to seek only forward).
pub fn decode_reader(reader: impl Read + Send + Sync + 'static, extension: Option<&str>) -> Result<Audio, AudioError> {
    decode_source(MediaSourceStream::new(Box::new(ReadOnlySource::new(reader)), Default::default()), extension)
}

fn decode_source(source: MediaSourceStream, extension: Option<&str>) -> Result<Audio, AudioError> {
    let mut hint = Hint::new();
    if let Some(e) = extension {
        hint.with_extension(e);
    }
    let probed = symphonia::default::get_probe()
        .format(&hint, source, &FormatOptions::default(), &MetadataOptions::default())
        .map_err(|e| match e {
            // The probe read to the end without recognising a format: say so, not "end of stream".
            Error::IoError(_) | Error::Unsupported(_) => {
                AudioError::Unsupported("no format Tantiem decodes was recognised in it".into())
            }
            e => AudioError::Unsupported(e.to_string()),
        })?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| AudioError::Unsupported("the file has no audio track".into()))?;
    let track_id = track.id;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| AudioError::Unsupported(e.to_string()))?;
    let mut sample_rate = track.codec_params.sample_rate.unwrap_or(0);
    let mut channels = track.codec_params.channels.map_or(0, |c| c.count() as u16);
    let mut samples: Vec<i16> = Vec::new();
    let mut buffer: Option<SampleBuffer<i16>> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(Error::ResetRequired) => {
                return Err(AudioError::Unsupported(
                    "a chained stream (several streams one after another): split it first".into(),
                ));
            }
            Err(e) => return Err(AudioError::Damaged(e.to_string())),
        };
        if packet.track_id() != track_id {
            continue;
        }
        match decoder.decode(&packet) {
            Ok(decoded) => {
                let spec = *decoded.spec();
                let (rate, count) = (spec.rate, spec.channels.count() as u16);
                if !samples.is_empty() && (rate != sample_rate || count != channels) {
                    return Err(AudioError::Damaged(format!(
                        "the stream changes from {sample_rate} Hz × {channels} to {rate} Hz × {count} channels"
                    )));
                }
                (sample_rate, channels) = (rate, count);
                let needed = decoded.capacity() as u64;
                let buf = match &mut buffer {
                    Some(b) if b.capacity() as u64 >= needed * u64::from(channels) => b,
                    _ => buffer.insert(SampleBuffer::<i16>::new(needed, spec)),
                };
                buf.copy_interleaved_ref(decoded);
                samples.extend_from_slice(buf.samples());
                if samples.len() as u64 > MAX_SECONDS * u64::from(sample_rate) * u64::from(channels) {
                    return Err(AudioError::Unsupported(format!("longer than {} hours: split it", MAX_SECONDS / 3600)));
                }
            }
            // A damaged packet is skipped, as players do.
            Err(Error::DecodeError(_)) => continue,
            Err(e) => return Err(AudioError::Damaged(e.to_string())),
        }
    }
    if sample_rate == 0 || channels == 0 {
        return Err(AudioError::Unsupported("no sample rate or channel count".into()));
    }
    Ok(Audio { sample_rate, channels, samples })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(name: &str, bytes: &[u8]) -> String {
        let path = std::env::temp_dir().join(format!("tantiem-decode-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        let text = decode_file(&path).unwrap_err().to_string();
        std::fs::remove_file(&path).unwrap();
        text
    }

    #[test]
    fn a_refusal_says_what_the_file_is() {
        assert_eq!(refusal("empty.wav", b""), "the file is empty (0 bytes): was it copied whole?");
        let m4a = refusal("song.m4a", b"\0\0\0\x20ftypM4A \0\0\0\0M4A mp42isom\0\0\0\0");
        assert_eq!(
            m4a,
            "not audio Tantiem can decode (WAV, FLAC, MP3, Ogg Vorbis): it is an MP4/M4A file (AAC or ALAC audio): convert it to FLAC or WAV"
        );
        assert!(refusal("song.aac", &[0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC]).contains("raw AAC (ADTS)"));
        let noise = refusal("noise.bin", &[7u8; 4096]);
        assert!(noise.ends_with("no format Tantiem decodes was recognised in it"), "{noise}");
        assert!(!noise.contains("end of stream"), "{noise}");
    }

    #[test]
    fn a_missing_file_is_named_once() {
        let e = decode_file(Path::new("/nonexistent/tantiem/song.flac")).unwrap_err();
        assert!(std::error::Error::source(&e).is_none(), "a chain of causes would repeat the OS's text");
        assert_eq!(e.to_string().matches("No such file").count(), 1, "{e}");
    }
}
