//! indicatif progress bars in one style for every long step.

use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `len` steps labelled `prefix`; hidden when stderr is not a terminal.
pub fn bar(len: usize, prefix: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64).with_prefix(prefix.to_owned());
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:>10.bold} [{bar:30.cyan/blue}] {pos}/{len} {msg} ({elapsed} < {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar
}
