//! Whether decoded images are kept in memory or streamed from disk every epoch.

use std::fmt;

use indicatif::HumanBytes;

/// Where training reads decoded images from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Cache {
    /// `memory` when the decoded images take under a quarter of the available memory, else
    /// `off`.
    Auto,
    /// Decode every image once and keep it: fastest epochs, memory grows with the dataset.
    Memory,
    /// Decode each batch from disk on a worker thread while the model trains on the previous
    /// one: memory independent of the dataset's size.
    Off,
}

/// The share of available memory `auto` lets the cache take.
const AUTO_SHARE: f64 = 0.25;

/// A cache mode chosen for a dataset, and why.
pub struct Choice {
    /// `Memory` or `Off`.
    pub cache: Cache,
    /// One line for the run's first output.
    pub reason: String,
}

impl Cache {
    /// The mode to use for decoded images of `bytes` in total, `available` bytes of memory
    /// being free.
    pub fn choose(self, bytes: u64, available: u64) -> Choice {
        let need = format!("decoded images take {}", HumanBytes(bytes));
        let free = format!("of the {} available", HumanBytes(available));
        let (cache, reason) = match self {
            Cache::Memory => (self, format!("{need} (--cache memory)")),
            Cache::Off => (self, format!("{need} if kept (--cache off)")),
            Cache::Auto if (bytes as f64) < AUTO_SHARE * available as f64 => (
                Cache::Memory,
                format!(
                    "{need}, {:.1}% {free}; --cache off streams them instead",
                    100.0 * bytes as f64 / available.max(1) as f64
                ),
            ),
            Cache::Auto => (
                Cache::Off,
                format!("{need} if kept, over a quarter {free}; --cache memory keeps them anyway"),
            ),
        };
        Choice { cache, reason }
    }

    /// Memory the system can give without swapping, in bytes.
    pub fn available_memory() -> u64 {
        let mut system = sysinfo::System::new();
        system.refresh_memory();
        system.available_memory()
    }
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.cache {
            Cache::Memory => "in memory, decoded once",
            _ => "streamed from disk, decoded per batch",
        };
        write!(f, "images: {mode} ({})", self.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_keeps_images_in_memory_only_when_they_take_under_a_quarter_of_it() {
        const GB: u64 = 1_000_000_000;
        assert_eq!(Cache::Auto.choose(GB, 8 * GB).cache, Cache::Memory);
        assert_eq!(Cache::Auto.choose(3 * GB, 8 * GB).cache, Cache::Off);
        assert_eq!(Cache::Memory.choose(9 * GB, 8 * GB).cache, Cache::Memory);
        assert_eq!(Cache::Off.choose(1, 8 * GB).cache, Cache::Off);
        let line = Cache::Auto.choose(6_600_000_000, 20 * GB).to_string();
        assert_eq!(
            line,
            "images: streamed from disk, decoded per batch (decoded images take 6.15 GiB if kept, over a quarter of the 18.63 GiB available; --cache memory keeps them anyway)"
        );
    }
}
