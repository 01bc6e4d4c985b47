//! Pretty-printed JSON of a document whose long arrays are serialized on every core: the
//! document is serialized once without them (each left as `[]`), and each array's elements are
//! serialized in chunks by worker threads, indented to their depth, and spliced in where it
//! stood, in order. The bytes equal `serde_json::to_writer_pretty` of the whole document.

use serde::Serialize;
use std::io::Write;

/// Elements serialized per task: small enough that the chunks in flight (a few per core) stay
/// a few megabytes.
const CHUNK: usize = 1024;

/// A slice of elements that can be serialized a range at a time.
pub trait Items: Sync {
    fn count(&self) -> usize;
    /// Writes elements `range` as serde_json's pretty printer writes them inside an array
    /// whose elements stand at `indent` (a separator before each but the array's first).
    fn write_range(
        &self,
        range: std::ops::Range<usize>,
        indent: &[u8],
        out: &mut Vec<u8>,
    ) -> serde_json::Result<()>;
}

impl<T: Serialize + Sync> Items for Vec<T> {
    fn count(&self) -> usize {
        self.len()
    }

    fn write_range(
        &self,
        range: std::ops::Range<usize>,
        indent: &[u8],
        out: &mut Vec<u8>,
    ) -> serde_json::Result<()> {
        write_elements(range.map(|i| (i, &self[i])), indent, out)
    }
}

/// The elements of a slice as `map` turns each into what is serialized, one chunk at a time.
pub struct Mapped<'a, T, F> {
    pub items: &'a [T],
    pub map: F,
}

impl<'a, T: Sync, S: Serialize, F: Fn(&'a T) -> S + Sync> Items for Mapped<'a, T, F> {
    fn count(&self) -> usize {
        self.items.len()
    }

    fn write_range(
        &self,
        range: std::ops::Range<usize>,
        indent: &[u8],
        out: &mut Vec<u8>,
    ) -> serde_json::Result<()> {
        write_elements(range.map(|i| (i, (self.map)(&self.items[i]))), indent, out)
    }
}

/// An element that writes its own pretty JSON object, bytes equal to serde_json's: for the
/// longest arrays of short strings, where serde_json's escaping, a byte at a time, is most
/// of the cost.
pub trait PrettyObject: Sync {
    fn write_object(&self, object: &mut Object<'_>);
}

/// Elements written by [`PrettyObject`].
pub struct Objects<'a, T>(pub &'a [T]);

impl<T: PrettyObject> Items for Objects<'_, T> {
    fn count(&self) -> usize {
        self.0.len()
    }

    fn write_range(
        &self,
        range: std::ops::Range<usize>,
        indent: &[u8],
        out: &mut Vec<u8>,
    ) -> serde_json::Result<()> {
        for i in range {
            if i > 0 {
                out.extend_from_slice(b",\n");
            }
            out.extend_from_slice(indent);
            out.push(b'{');
            let mut object = Object {
                out: &mut *out,
                indent,
                first: true,
            };
            self.0[i].write_object(&mut object);
            if !object.first {
                out.push(b'\n');
                out.extend_from_slice(indent);
            }
            out.push(b'}');
        }
        Ok(())
    }
}

/// The fields of one object being written, as serde_json's pretty printer writes them.
pub struct Object<'o> {
    out: &'o mut Vec<u8>,
    /// The object's own indentation; its fields stand two spaces further in.
    indent: &'o [u8],
    first: bool,
}

impl Object<'_> {
    /// `name` is a field name, which needs no escaping.
    fn key(&mut self, name: &str) {
        debug_assert!(!needs_escape(name.as_bytes()), "{name}");
        let out = &mut *self.out;
        out.extend_from_slice(if self.first { b"\n" } else { b",\n" });
        self.first = false;
        out.extend_from_slice(self.indent);
        out.extend_from_slice(b"  \"");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\": ");
    }

    pub fn str(&mut self, name: &str, value: &str) {
        self.key(name);
        write_str(self.out, value);
    }

    /// `null` when absent.
    pub fn optional_str(&mut self, name: &str, value: Option<&str>) {
        self.key(name);
        match value {
            Some(value) => write_str(self.out, value),
            None => self.out.extend_from_slice(b"null"),
        }
    }

    /// A value as its `Display` writes it, as a string (serde's `collect_str`).
    pub fn display(&mut self, name: &str, value: &dyn std::fmt::Display) {
        self.key(name);
        write_str(self.out, &value.to_string());
    }

    pub fn u64(&mut self, name: &str, value: u64) {
        self.key(name);
        self.out.extend_from_slice(value.to_string().as_bytes());
    }
}

/// Whether JSON escapes any of `bytes` (control characters, quote, backslash), looked at 16
/// bytes at a time.
fn needs_escape(bytes: &[u8]) -> bool {
    let escaped = |b: u8| (b < 0x20) | (b == b'"') | (b == b'\\');
    let mut chunks = bytes.chunks_exact(16);
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |any, &b| any | escaped(b)) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| escaped(b))
}

/// A JSON string as serde_json writes it: as it is when nothing in it needs escaping, else by
/// serde_json.
pub fn write_str(out: &mut Vec<u8>, value: &str) {
    if needs_escape(value.as_bytes()) {
        serde_json::to_writer(&mut *out, value).expect("a string is written to memory");
    } else {
        out.push(b'"');
        out.extend_from_slice(value.as_bytes());
        out.push(b'"');
    }
}

/// Writes elements (with their positions in the array) as [`Items::write_range`] does.
fn write_elements<T: Serialize>(
    elements: impl Iterator<Item = (usize, T)>,
    indent: &[u8],
    out: &mut Vec<u8>,
) -> serde_json::Result<()> {
    for (i, element) in elements {
        if i > 0 {
            out.extend_from_slice(b",\n");
        }
        out.extend_from_slice(indent);
        let formatter = Indented {
            depth: indent.len() / 2,
            has_value: false,
        };
        let mut serializer = serde_json::Serializer::with_formatter(&mut *out, formatter);
        element.serialize(&mut serializer)?;
    }
    Ok(())
}

/// serde_json's pretty printer (two spaces a level) starting `depth` levels in, so that an
/// element is written in place, already indented to where it stands.
struct Indented {
    depth: usize,
    has_value: bool,
}

impl Indented {
    fn indent<W: ?Sized + Write>(&self, writer: &mut W) -> std::io::Result<()> {
        const SPACES: &[u8; 64] =
            b"                                                                ";
        let mut left = self.depth * 2;
        while left > 0 {
            let n = left.min(SPACES.len());
            writer.write_all(&SPACES[..n])?;
            left -= n;
        }
        Ok(())
    }
}

impl Indented {
    /// A newline (after a comma but for the first) and the indentation of an element or key.
    fn item<W: ?Sized + Write>(&self, writer: &mut W, first: bool) -> std::io::Result<()> {
        writer.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(writer)
    }

    fn open<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            writer.write_all(b"\n")?;
            self.indent(writer)?;
        }
        writer.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Indented {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// An array left out of the skeleton: `marker` is the text of its field there (a newline, the
/// field's indentation, `"name": []`), which must occur exactly once.
pub struct Spliced<'a> {
    pub marker: &'static str,
    pub items: &'a dyn Items,
}

/// Why the document could not be written so: the caller writes it the plain way.
#[derive(Debug)]
pub enum SpliceError {
    Io(std::io::Error),
    /// A marker is missing from the skeleton or occurs more than once.
    Marker(&'static str),
    Json(serde_json::Error),
}

impl From<std::io::Error> for SpliceError {
    fn from(error: std::io::Error) -> Self {
        SpliceError::Io(error)
    }
}

/// Writes `skeleton` (the pretty JSON of the document without the arrays) with every array of
/// `arrays` in its place. Nothing is written when a marker is not found.
pub fn write(
    skeleton: &[u8],
    arrays: &[Spliced<'_>],
    threads: usize,
    out: &mut dyn Write,
) -> Result<(), SpliceError> {
    // Where each array goes, in document order.
    let mut places = Vec::new();
    for (i, array) in arrays.iter().enumerate() {
        let marker = array.marker.as_bytes();
        let mut found = memchr::memmem::find_iter(skeleton, marker);
        let (Some(at), None) = (found.next(), found.next()) else {
            return Err(SpliceError::Marker(array.marker));
        };
        places.push((at, i));
    }
    places.sort();
    // Tasks: (array, range), in document order.
    let mut tasks = Vec::new();
    for &(_, i) in &places {
        let count = arrays[i].items.count();
        let mut start = 0;
        while start < count {
            let end = (start + CHUNK).min(count);
            tasks.push((i, start..end));
            start = end;
        }
    }
    let indents: Vec<(Vec<u8>, Vec<u8>)> = arrays
        .iter()
        .map(|array| {
            let field = array.marker.len() - array.marker.trim_start_matches(['\n', ' ']).len() - 1;
            (vec![b' '; field + 2], vec![b' '; field])
        })
        .collect();

    let next = std::sync::atomic::AtomicUsize::new(0);
    // Workers run at most `AHEAD` tasks ahead of the writer, so that chunks do not pile up in
    // memory when writing is slower than serializing. A worker waits only before a task, and
    // holds none while it waits: the tasks the writer needs next are always being worked on.
    let ahead = 2 * threads.max(1) + 2;
    let written = (std::sync::Mutex::new(0usize), std::sync::Condvar::new());
    let (sender, receiver) = std::sync::mpsc::channel::<(usize, serde_json::Result<Vec<u8>>)>();
    std::thread::scope(|scope| -> Result<(), SpliceError> {
        for _ in 0..threads.max(1) {
            let sender = sender.clone();
            let (tasks, next, indents, written) = (&tasks, &next, &indents, &written);
            scope.spawn(move || {
                loop {
                    let task = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((array, range)) = tasks.get(task) else {
                        break;
                    };
                    let (count, turned) = written;
                    let mut done = count.lock().expect("the writer does not panic");
                    while task >= *done + ahead {
                        done = turned.wait(done).expect("the writer does not panic");
                    }
                    drop(done);
                    let mut buffer = Vec::with_capacity(range.len() * 256);
                    let result = arrays[*array]
                        .items
                        .write_range(range.clone(), &indents[*array].0, &mut buffer)
                        .map(|()| buffer);
                    if sender.send((task, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        // The skeleton up to each array, its elements as they come in order, then the rest.
        let result = (|| -> Result<(), SpliceError> {
            let mut pending = std::collections::BTreeMap::new();
            let mut written_to = 0usize;
            let mut task = 0usize;
            for &(at, i) in &places {
                let marker = arrays[i].marker.as_bytes();
                let open = at + marker.len() - 1;
                out.write_all(&skeleton[written_to..open])?;
                let count = arrays[i].items.count();
                if count > 0 {
                    out.write_all(b"\n")?;
                    let mut done = 0;
                    while done < count {
                        let chunk = loop {
                            if let Some(chunk) = pending.remove(&task) {
                                break chunk;
                            }
                            let (index, result) =
                                receiver.recv().expect("a worker sends every task it takes");
                            pending.insert(index, result);
                        };
                        out.write_all(&chunk.map_err(SpliceError::Json)?)?;
                        done = tasks[task].1.end;
                        task += 1;
                        *written.0.lock().expect("no worker panicked") = task;
                        written.1.notify_all();
                    }
                    out.write_all(b"\n")?;
                    out.write_all(&indents[i].1)?;
                }
                written_to = open;
            }
            out.write_all(&skeleton[written_to..])?;
            Ok(())
        })();
        // Done or failed: no worker waits any more.
        *written.0.lock().expect("no worker panicked") = usize::MAX / 2;
        written.1.notify_all();
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Document {
        name: String,
        rows: Vec<serde_json::Value>,
        inner: Inner,
        empty: Vec<u32>,
    }

    #[derive(Serialize)]
    struct Inner {
        rows: Vec<serde_json::Value>,
        after: u32,
    }

    fn row(i: usize) -> serde_json::Value {
        serde_json::json!({"id": i, "text": format!("line\nbreak {i}"), "nested": {"list": [i, i + 1], "empty": []}})
    }

    #[test]
    fn spliced_arrays_equal_the_plain_printer() {
        for count in [0, 1, 5, CHUNK, CHUNK + 3, 3 * CHUNK + 1] {
            let rows: Vec<serde_json::Value> = (0..count).map(row).collect();
            let inner_rows: Vec<serde_json::Value> = (0..count / 2).map(row).collect();
            let whole = Document {
                name: "rows".into(),
                rows: rows.clone(),
                inner: Inner {
                    rows: inner_rows.clone(),
                    after: 7,
                },
                empty: Vec::new(),
            };
            let expected = serde_json::to_vec_pretty(&whole).unwrap();
            let skeleton = serde_json::to_vec_pretty(&Document {
                name: "rows".into(),
                rows: Vec::new(),
                inner: Inner {
                    rows: Vec::new(),
                    after: 7,
                },
                empty: Vec::new(),
            })
            .unwrap();
            for threads in [1, 2, 3] {
                let mut out = Vec::new();
                write(
                    &skeleton,
                    &[
                        Spliced {
                            marker: "\n    \"rows\": []",
                            items: &inner_rows,
                        },
                        Spliced {
                            marker: "\n  \"rows\": []",
                            items: &rows,
                        },
                    ],
                    threads,
                    &mut out,
                )
                .unwrap();
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    String::from_utf8(expected.clone()).unwrap(),
                    "{count} rows, {threads} threads"
                );
            }
        }
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        let mut texts: Vec<String> = (0u8..0x80).map(|b| format!("a{}b", b as char)).collect();
        texts.extend(
            [
                "",
                "plain",
                "quote\"",
                "back\\slash",
                "é ü 日本 🦀",
                "\u{7f}",
                "tab\tnew\nline",
            ]
            .map(String::from),
        );
        for text in texts {
            let mut ours = Vec::new();
            write_str(&mut ours, &text);
            assert_eq!(ours, serde_json::to_vec(&text).unwrap(), "{text:?}");
        }
    }

    /// Fails once `left` bytes are written.
    struct Failing {
        left: usize,
    }

    impl Write for Failing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if buf.len() > self.left {
                return Err(std::io::Error::other("disk full"));
            }
            self.left -= buf.len();
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A writer that fails midway ends the write with its error: the workers held back from
    /// running ahead of it are let go, nothing waits for ever.
    #[test]
    fn a_failing_writer_ends_the_write_with_its_error() {
        let rows: Vec<serde_json::Value> = (0..40 * CHUNK).map(row).collect();
        let skeleton = b"{\n  \"rows\": []\n}".to_vec();
        for threads in [1, 2, 3] {
            let spliced = [Spliced {
                marker: "\n  \"rows\": []",
                items: &rows,
            }];
            let result = write(&skeleton, &spliced, threads, &mut Failing { left: 100_000 });
            assert!(
                matches!(&result, Err(SpliceError::Io(e)) if e.to_string() == "disk full"),
                "{result:?}"
            );
        }
    }

    #[test]
    fn a_marker_that_is_not_there_once_is_refused_before_writing() {
        let rows = vec![row(1)];
        let mut out = Vec::new();
        let result = write(
            b"{\n  \"a\": [],\n  \"a\": []\n}",
            &[Spliced {
                marker: "\n  \"a\": []",
                items: &rows,
            }],
            2,
            &mut out,
        );
        assert!(matches!(result, Err(SpliceError::Marker(_))));
        assert!(out.is_empty());
    }
}
