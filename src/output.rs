//! Safe writes of snapshots and reports: a file is written whole or not at all.
//!
//! The content goes to a temporary file in the target's directory, created with mode 0600
//! (snapshots and reports hold names, e-mail addresses and access maps), and only then renamed
//! over the target. An interrupted or failed write leaves the previous file as it was and no
//! partial file behind. Snapshots (the base of the next incremental scan, the record of an
//! audit) are flushed to disk before the rename; reports, made again from a snapshot in
//! seconds, are left to the operating system (a flush of a 200 MB report costs a third of a
//! second).

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes `path` through `fill`, atomically. On any error of `fill` or of the file system
/// the target is untouched and the temporary file removed.
pub fn write_atomic<F>(path: &Path, fill: F) -> io::Result<()>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    write_atomic_with(path, true, fill)
}

/// [`write_atomic`], flushed to disk before the rename only when `durable`.
fn write_atomic_with<F>(path: &Path, durable: bool, fill: F) -> io::Result<()>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    // A link is followed: the file it names is replaced, the link stays.
    let resolved;
    let path = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            resolved = std::fs::canonicalize(path)?;
            resolved.as_path()
        }
        _ => path,
    };
    // Something that is not a regular file (`/dev/null`, a pipe, a terminal) is written to as it
    // is: renaming over it would replace the device with a file.
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.file_type().is_file()
    {
        let mut file = OpenOptions::new().write(true).open(path)?;
        let mut writer = BufWriter::new(&mut file);
        fill(&mut writer)?;
        return writer.flush();
    }
    let (temp_path, file) = create_temp(path)?;
    let result = (|| {
        let mut writer = BufWriter::new(WriteBehind::new(file, durable));
        fill(&mut writer)?;
        let file = writer.into_inner().map_err(|e| e.into_error())?.file;
        if durable {
            file.sync_all()?;
        }
        drop(file);
        std::fs::rename(&temp_path, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp_path);
    }
    result
}

/// Writes a report through `fill` to `path` (atomically) when given, else to standard output;
/// an error names the file.
pub fn write_to<F>(path: Option<&Path>, fill: F) -> Result<(), String>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    write_to_with(path, false, fill)
}

/// [`write_to`] for a snapshot: flushed to disk before it replaces the file.
pub fn write_durably_to<F>(path: Option<&Path>, fill: F) -> Result<(), String>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    write_to_with(path, true, fill)
}

fn write_to_with<F>(path: Option<&Path>, durable: bool, fill: F) -> Result<(), String>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    match path {
        Some(path) => write_atomic_with(path, durable, fill)
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => {
            let mut stdout = BufWriter::new(io::stdout().lock());
            fill(&mut stdout)
                .and_then(|()| stdout.flush())
                .map_err(|e| format!("cannot write to standard output: {e}"))
        }
    }
}

/// A file whose written data goes to disk while more is written, when it is to be flushed at
/// the end: the flush then waits for the last part only, not for all of it (on a 170 MB
/// snapshot, 0.3 s). Elsewhere than Linux, and when not durable, a plain file.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
struct WriteBehind {
    file: File,
    durable: bool,
    /// Bytes written, and where the part not yet handed to the disk starts.
    written: u64,
    started: u64,
}

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
impl WriteBehind {
    /// Data is handed to the disk in parts of this size.
    const PART: u64 = 8 << 20;

    fn new(file: File, durable: bool) -> Self {
        WriteBehind {
            file,
            durable,
            written: 0,
            started: 0,
        }
    }
}

impl Write for WriteBehind {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        #[cfg(target_os = "linux")]
        if self.durable && self.written - self.started >= Self::PART {
            use std::os::fd::AsRawFd;
            // Starts the writeback of the part and returns; only a hint, so an error (a file
            // system without it) is left to the flush at the end to report.
            // SAFETY: a valid descriptor, a range of the file, and no memory is passed.
            unsafe {
                libc::sync_file_range(
                    self.file.as_raw_fd(),
                    self.started as libc::off64_t,
                    (self.written - self.started) as libc::off64_t,
                    libc::SYNC_FILE_RANGE_WRITE,
                );
            }
            self.started = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Writes `bytes` to `path` atomically with mode 0600.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic(path, |out| out.write_all(bytes))
}

fn create_temp(target: &Path) -> io::Result<(PathBuf, File)> {
    let dir = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let pid = std::process::id();
    let mut attempt = 0u32;
    loop {
        let candidate = dir.join(format!(".{name}.{pid}.{attempt}.tmp"));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&candidate) {
            Ok(file) => return Ok((candidate, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 1000 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ssoaudit-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn failed_write_keeps_the_previous_file_and_leaves_nothing() {
        let dir = temp_dir("failed");
        let target = dir.join("snapshot.json");
        std::fs::write(&target, "yesterday").unwrap();
        let result = write_atomic(&target, |out| {
            out.write_all(b"half of today")?;
            Err(io::Error::other("interrupted"))
        });
        assert!(result.is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "yesterday");
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("snapshot.json")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_and_pipes_are_written_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let dir = temp_dir("special");
        let real = dir.join("real.json");
        std::fs::write(&real, "old").unwrap();
        let link = dir.join("link.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_bytes(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");

        let fifo = dir.join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        write_bytes(&fifo, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), "through the pipe");
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn written_files_are_private_and_replace_the_old_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("private");
        let target = dir.join("report.json");
        std::fs::write(&target, "old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_bytes(&target, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A durable write of several parts handed to the disk as it goes, in writes of every
    /// size (small ones through the buffer, large ones past it), is the content, whole.
    #[test]
    fn a_long_durable_write_is_whole() {
        let dir = temp_dir("long");
        let target = dir.join("snapshot.json");
        let content: Vec<u8> = (0..3 * WriteBehind::PART + 12_345)
            .map(|i| (i % 251) as u8)
            .collect();
        write_durably_to(Some(&target), |out| {
            let mut rest = &content[..];
            let mut size = 1;
            while !rest.is_empty() {
                let (part, after) = rest.split_at(size.min(rest.len()));
                out.write_all(part)?;
                rest = after;
                size = size * 7 % 3_000_017 + 1;
            }
            Ok(())
        })
        .unwrap();
        assert!(std::fs::read(&target).unwrap() == content);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
