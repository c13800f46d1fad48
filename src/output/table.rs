//! Plain-text tables and the humane renderings the docker CLI uses in them,
//! so that berth's listings line up like Docker Compose's.

/// `--format` of the listing commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

/// Columns separated by three spaces, each as wide as its widest cell (in
/// characters); every cell but a row's last is padded.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    render_min(header, rows, 0)
}

/// [`render`] with columns at least `min` characters wide, separator
/// included (as `ls` lists projects).
pub fn render_min(header: &[&str], rows: &[Vec<String>], min: usize) -> String {
    render_with(header, rows, min, 3)
}

/// Columns `gap` spaces apart and at least `min` wide, separator included.
pub fn render_with(header: &[&str], rows: &[Vec<String>], min: usize, gap: usize) -> String {
    let width = |cell: &str| cell.chars().count();
    let mut widths: Vec<usize> = header
        .iter()
        .map(|h| width(h).max(min.saturating_sub(gap)))
        .collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < row.len() {
                out.extend(std::iter::repeat_n(' ', widths[i] - width(cell) + gap));
            }
        }
        out.push('\n');
    }
    out
}

/// A past duration as the docker CLI words it: `3 seconds`, `About a
/// minute`, `2 hours`, `3 weeks`.
pub fn human_duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let minutes = seconds / 60;
    // Hours round to the nearest, as the docker CLI does.
    let hours = (seconds + 1800) / 3600;
    match () {
        _ if seconds < 1 => "Less than a second".into(),
        _ if seconds == 1 => "1 second".into(),
        _ if seconds < 60 => format!("{seconds} seconds"),
        _ if minutes == 1 => "About a minute".into(),
        _ if minutes < 60 => format!("{minutes} minutes"),
        _ if hours == 1 => "About an hour".into(),
        _ if hours < 48 => format!("{hours} hours"),
        _ if hours < 24 * 7 * 2 => format!("{} days", hours / 24),
        _ if hours < 24 * 30 * 2 => format!("{} weeks", hours / 24 / 7),
        _ if hours < 24 * 365 * 2 => format!("{} months", hours / 24 / 30),
        _ => format!("{} years", hours / 24 / 365),
    }
}

/// Cuts `text` to `max` characters, the last one an ellipsis when cut.
pub fn ellipsize(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `text` in double quotes, with quotes and backslashes escaped.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_by_characters_and_the_last_is_not_padded() {
        let rows = vec![
            vec!["a".to_string(), "\"x…\"".to_string(), "z".to_string()],
            vec!["bbbb".to_string(), "y".to_string(), String::new()],
        ];
        assert_eq!(
            render(&["N", "COMMAND", "P"], &rows),
            "N      COMMAND   P\na      \"x…\"      z\nbbbb   y         \n"
        );
    }

    #[test]
    fn durations_read_like_the_docker_cli() {
        assert_eq!(human_duration(0), "Less than a second");
        assert_eq!(human_duration(1), "1 second");
        assert_eq!(human_duration(59), "59 seconds");
        assert_eq!(human_duration(60), "About a minute");
        assert_eq!(human_duration(150), "2 minutes");
        assert_eq!(human_duration(3599), "59 minutes");
        assert_eq!(human_duration(3600), "About an hour");
        assert_eq!(human_duration(5 * 3600), "5 hours");
        assert_eq!(human_duration(3 * 86400), "3 days");
        assert_eq!(human_duration(20 * 86400), "2 weeks");
        assert_eq!(human_duration(90 * 86400), "3 months");
        assert_eq!(human_duration(800 * 86400), "2 years");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis_and_quoted() {
        assert_eq!(
            ellipsize("sh -c 'echo hello; echo err'", 20),
            "sh -c 'echo hello; …"
        );
        assert_eq!(ellipsize("short", 20), "short");
        assert_eq!(quote("say \"hi\" \\"), "\"say \\\"hi\\\" \\\\\"");
    }
}
