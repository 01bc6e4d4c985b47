//! Gzipped log files inflated whole. A trail log object is one gzip member whose trailer gives
//! the size of its text: that case is inflated in one call (libdeflate) into a buffer reused
//! from file to file, without zeroing it or growing it as it fills. Anything else (several
//! members, a size beyond what the trailer can say, corrupt data) is read by the streaming
//! decoder, which also names what is wrong.

use flate2::read::MultiGzDecoder;
use std::io::Read;
use std::ptr::NonNull;

/// Text at most this many times the compressed size is inflated in one call; more (or a
/// trailer that claims more) is left to the streaming decoder, which allocates as it goes.
const MAX_RATIO: usize = 64;

/// A libdeflate decompressor.
struct Decompressor(NonNull<libdeflate_sys::libdeflate_decompressor>);

// SAFETY: a decompressor is plain memory used by one call at a time (`&mut self`).
unsafe impl Send for Decompressor {}

impl Decompressor {
    fn new() -> Option<Decompressor> {
        // SAFETY: no preconditions; null means out of memory.
        NonNull::new(unsafe { libdeflate_sys::libdeflate_alloc_decompressor() }).map(Decompressor)
    }

    /// Inflates the first gzip member of `input` into `out`: the bytes of input it took and
    /// of text it wrote, or `None` when the member is corrupt or does not fit.
    fn member(&mut self, input: &[u8], out: &mut [u8]) -> Option<(usize, usize)> {
        let (mut taken, mut written) = (0usize, 0usize);
        // SAFETY: the pointers and lengths are those of live slices; libdeflate reads at most
        // `input.len()` bytes and writes at most `out.len()`.
        let result = unsafe {
            libdeflate_sys::libdeflate_gzip_decompress_ex(
                self.0.as_ptr(),
                input.as_ptr().cast(),
                input.len(),
                out.as_mut_ptr().cast(),
                out.len(),
                &mut taken,
                &mut written,
            )
        };
        (result == libdeflate_sys::libdeflate_result_LIBDEFLATE_SUCCESS).then_some((taken, written))
    }
}

impl Drop for Decompressor {
    fn drop(&mut self) {
        // SAFETY: allocated by `libdeflate_alloc_decompressor`, freed once.
        unsafe { libdeflate_sys::libdeflate_free_decompressor(self.0.as_ptr()) }
    }
}

/// Inflates gzipped files one after another, keeping its buffer and decompressor.
#[derive(Default)]
pub struct Inflater {
    buffer: Vec<u8>,
    decompressor: Option<Decompressor>,
}

impl Inflater {
    /// The text of gzipped `content`, or why it cannot be read.
    pub fn inflate(&mut self, content: &[u8]) -> Result<&[u8], String> {
        if let Some(size) = single_member_size(content)
            && let Some(written) = self.whole(content, size)
        {
            return Ok(&self.buffer[..written]);
        }
        self.buffer.clear();
        MultiGzDecoder::new(content)
            .read_to_end(&mut self.buffer)
            .map_err(|e| format!("corrupt or truncated: {e}"))?;
        Ok(&self.buffer[..])
    }

    /// Inflates `content` in one call when it is a single member of `size` bytes of text.
    fn whole(&mut self, content: &[u8], size: usize) -> Option<usize> {
        if self.decompressor.is_none() {
            self.decompressor = Decompressor::new();
        }
        let decompressor = self.decompressor.as_mut()?;
        // Only what was never written is zeroed; the rest is overwritten.
        if self.buffer.len() < size {
            self.buffer.resize(size, 0);
        }
        let (taken, written) = decompressor.member(content, &mut self.buffer[..size])?;
        // Another member after the first, or fewer bytes than the trailer says: the streaming
        // decoder reads it.
        (taken == content.len() && written == size).then_some(written)
    }
}

/// The text size a gzip file's trailer gives (its last member's, modulo 2^32), when it is one
/// the one-call path takes.
fn single_member_size(content: &[u8]) -> Option<usize> {
    let at = content.len().checked_sub(4)?;
    let size = u32::from_le_bytes(content[at..].try_into().ok()?) as usize;
    (size <= content.len().saturating_mul(MAX_RATIO)).then_some(size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gzip(text: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(text).unwrap();
        encoder.finish().unwrap()
    }

    fn streamed(content: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        MultiGzDecoder::new(content)
            .read_to_end(&mut out)
            .map(|_| out)
            .map_err(|e| format!("corrupt or truncated: {e}"))
    }

    /// Every shape gives what the streaming decoder gives, one inflater reused across them in
    /// an order where a long text is followed by shorter ones.
    #[test]
    fn agrees_with_the_streaming_decoder() {
        let long: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("{{\"n\":{i}}},").into_bytes())
            .collect();
        let short = b"{\"Records\":[]}".to_vec();
        let same_size = b"{\"Records\":[1]}".to_vec();
        let one = gzip(&long);
        let mut two = gzip(&short);
        two.extend(gzip(&long));
        // Two members of the same size: the trailer's size fits the first alone.
        let mut twins = gzip(&same_size);
        twins.extend(gzip(&same_size));
        let truncated = one[..one.len() / 2].to_vec();
        let mut garbled = gzip(&short);
        let middle = garbled.len() / 2;
        garbled[middle] ^= 0xff;
        // A trailer claiming far more than the data can hold.
        let mut boastful = gzip(&short);
        let at = boastful.len() - 4;
        boastful[at..].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut inflater = Inflater::default();
        for (name, content) in [
            ("one member", &one),
            ("short", &gzip(&short)),
            ("two members", &two),
            ("twins", &twins),
            ("truncated", &truncated),
            ("garbled", &garbled),
            ("boastful trailer", &boastful),
            ("empty", &Vec::new()),
            ("one member again", &one),
        ] {
            let ours = inflater.inflate(content).map(<[u8]>::to_vec);
            let theirs = streamed(content);
            assert_eq!(ours.is_ok(), theirs.is_ok(), "{name}");
            match (ours, theirs) {
                (Ok(a), Ok(b)) => assert!(a == b, "{name}: texts differ"),
                (Err(a), Err(b)) => assert_eq!(a, b, "{name}"),
                _ => unreachable!(),
            }
        }
        let twins_text = inflater.inflate(&twins).unwrap().to_vec();
        assert_eq!(twins_text, [same_size.clone(), same_size].concat());
    }
}
