//! An epoch's report files, written by background threads: the mistakes browser's small
//! files (creating hundreds of files per epoch waits on the file system far more than it
//! computes: 0.02 to 0.5 ms a file here, depending on the disk's other work) and the figures,
//! whose PNG encoding overlaps the checkpoint's writing. The monitor hands them over and
//! computes on; the epoch ends by waiting for them.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use atomic_write::WriteError;
use cam::render::figure::png_bytes;
use image::RgbImage;

/// Files written at once.
const THREADS: usize = 4;

/// Background encoders and writers of PNG files that can be made again, each written
/// atomically but unsynced (see [`atomic_write::write_bytes_unsynced`]).
pub struct Writer {
    queue: mpsc::Sender<(PathBuf, RgbImage)>,
    threads: Vec<JoinHandle<Result<(), WriteError>>>,
}

impl Writer {
    /// Starts the writing threads.
    pub fn new() -> Self {
        let (queue, files) = mpsc::channel::<(PathBuf, RgbImage)>();
        let files = Arc::new(Mutex::new(files));
        let threads = (0..THREADS)
            .map(|_| {
                let files = Arc::clone(&files);
                std::thread::spawn(move || {
                    loop {
                        let next = files.lock().expect("the queue's lock").recv();
                        let Ok((path, image)) = next else {
                            return Ok(());
                        };
                        atomic_write::write_bytes_unsynced(&path, &png_bytes(&image))?;
                    }
                })
            })
            .collect();
        Self { queue, threads }
    }

    /// Queues `image` to be encoded as PNG and written to `path`.
    pub fn png(&self, path: PathBuf, image: RgbImage) {
        // A failed thread keeps its error for `finish`; the others go on with the queue.
        let _ = self.queue.send((path, image));
    }

    /// Waits until every queued file is written; the first failure, if any.
    pub fn finish(self) -> Result<(), WriteError> {
        drop(self.queue);
        let mut result = Ok(());
        for thread in self.threads {
            let written = thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            result = result.and(written);
        }
        result
    }
}
