//! Where in a rule file something is: serde-saphyr errors without their snippet, and positions
//! inside a scalar's value mapped back to the file (through folding and block indentation).

/// The character offset of a 1-based (line, column) position within a text.
pub(super) fn char_offset(text: &str, line: u64, column: u64) -> usize {
    let mut offset = 0;
    for (number, content) in text.split('\n').enumerate() {
        if number as u64 + 1 == line {
            return offset + (column.saturating_sub(1) as usize).min(content.chars().count());
        }
        offset += content.chars().count() + 1;
    }
    offset
}

/// Maps a character offset within a scalar's parsed value to the file's line and column.
///
/// Folding (`>`), block indentation and line breaks change only white space, so the n-th
/// non-blank character of the value is the n-th non-blank character of the source from
/// where the scalar starts.
pub(super) fn locate_in_scalar(
    file: &str,
    start: &serde_saphyr::Location,
    value: &str,
    offset: usize,
) -> (u64, u64) {
    let fallback = (start.line(), start.column());
    let nth = value
        .chars()
        .take(offset)
        .filter(|c| !c.is_whitespace())
        .count();
    let Some(mut position) = byte_position(file, start) else {
        return fallback;
    };
    if file[position..].starts_with(['"', '\'']) {
        position += 1;
    }
    let mut seen = 0;
    for (index, c) in file[position..].char_indices() {
        if c.is_whitespace() {
            continue;
        }
        if seen == nth {
            let before = &file[..position + index];
            let line = before.matches('\n').count() as u64 + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
            return (line, column);
        }
        seen += 1;
    }
    fallback
}

/// Where a location is in the file, as a byte offset.
fn byte_position(file: &str, location: &serde_saphyr::Location) -> Option<usize> {
    if let Some(offset) = location.span().byte_offset() {
        return Some(offset as usize).filter(|&o| o <= file.len() && file.is_char_boundary(o));
    }
    let line_start: usize = file
        .split_inclusive('\n')
        .take(location.line().saturating_sub(1) as usize)
        .map(str::len)
        .sum();
    let column = location.column().saturating_sub(1) as usize;
    let line = file.get(line_start..)?.lines().next().unwrap_or("");
    let within: usize = line.chars().take(column).map(char::len_utf8).sum();
    Some(line_start + within)
}
