//! What the command service tells `tracing`: the command's name without its contents, and durations as numbers.

use std::time::Duration;

/// A duration in whole microseconds, for tracing fields.
pub(super) fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// A command's name for tracing: the variant name its `Debug` output begins with (`PayOrder`), without formatting
/// the rest, which may hold what a log should not.
pub(super) struct CommandName<'a, C>(pub(super) &'a C);

impl<C: std::fmt::Debug> std::fmt::Display for CommandName<'_, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        /// Keeps the leading identifier of what is written, and stops the formatting at the first other character.
        struct Leading<'f, 'g> {
            out: &'f mut std::fmt::Formatter<'g>,
            done: bool,
        }
        impl std::fmt::Write for Leading<'_, '_> {
            fn write_str(&mut self, text: &str) -> std::fmt::Result {
                let end = text.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(text.len());
                self.out.write_str(&text[..end])?;
                if end < text.len() {
                    self.done = true;
                    // Ends the `Debug` formatting early; the error stops here and is not reported.
                    return Err(std::fmt::Error);
                }
                Ok(())
            }
        }
        let mut leading = Leading { out: f, done: false };
        match std::fmt::write(&mut leading, format_args!("{:?}", self.0)) {
            Err(_) if !leading.done => Err(std::fmt::Error),
            _ => Ok(()),
        }
    }
}
