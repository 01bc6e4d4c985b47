//! YAML parse errors as every loader reports them (rule files, the configuration, suppressions,
//! stack files): the position, and the parser's message without its snippet and without the
//! position repeated inside it.

/// The (line, column) of an error, 1-based; (1, 1) when the parser gives none.
pub fn position(error: &serde_saphyr::Error) -> (u64, u64) {
    error
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1))
}

/// The parser's message alone: its first line, without `error: `, a leading `line L column
/// C: ` or a trailing ` at line L, column C` (the position is reported on its own).
pub fn message(error: &serde_saphyr::Error) -> String {
    let text = error.without_snippet().to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    let text = match text
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((_, message)) => message,
        None => text,
    };
    let first = text.lines().next().unwrap_or(text);
    match first.rfind(" at line ") {
        Some(i) => first[..i].to_string(),
        None => first.to_string(),
    }
}

/// `FILE:LINE:COLUMN: message`.
pub fn located(shown: &str, error: &serde_saphyr::Error) -> String {
    let (line, column) = position(error);
    format!("{shown}:{line}:{column}: {}", message(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct File {
        name: String,
    }

    #[test]
    fn a_message_keeps_what_follows_a_colon_in_it() {
        let error = serde_saphyr::from_str::<File>("name: a\nnmae: b\n").unwrap_err();
        let text = located("f.yaml", &error);
        assert!(text.starts_with("f.yaml:2:1: "), "{text}");
        assert!(text.contains("nmae"), "{text}");
        assert!(!text.contains("at line"), "{text}");
        // A message with ": " inside is not cut at it.
        let error = serde_saphyr::from_str::<File>("name: [a\n").unwrap_err();
        let whole = message(&error);
        assert!(!whole.is_empty());
        assert_eq!(
            located("f.yaml", &error),
            format!(
                "f.yaml:{}:{}: {whole}",
                position(&error).0,
                position(&error).1
            )
        );
    }
}
