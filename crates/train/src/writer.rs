//! Report files written by background threads: the many small ones (the validation pictures
//! before the first epoch, the gallery's pictures and heatmaps; creating a file waits on the
//! file system far more than it computes: 0.02 to 0.5 ms a file here, depending on the disk's
//! other work) and an epoch's figures, whose drawing and PNG encoding overlap the checkpoint's
//! writing. The caller hands them over and computes on; it ends by waiting for them.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use atomic_write::WriteError;
use cam::render::figure::png_bytes;
use image::RgbImage;
use image::codecs::jpeg::JpegEncoder;

/// Files written at once.
const THREADS: usize = 4;

/// Images waiting at most: a producer faster than the disk waits instead of filling memory.
const QUEUED: usize = 256;

/// JPEG quality of pictures (the gallery's): 90, as photo tools save by default.
const JPEG_QUALITY: u8 = 90;

/// How an image is encoded.
enum Encoding {
    Png,
    Jpeg,
}

impl Encoding {
    fn encode(&self, image: &RgbImage) -> Vec<u8> {
        match self {
            Self::Png => png_bytes(image),
            Self::Jpeg => {
                let mut bytes = Vec::new();
                JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
                    .encode_image(image)
                    .expect("JPEG encoding into memory");
                bytes
            }
        }
    }
}

/// A picture to write, drawn on the writing thread.
type Draw = Box<dyn FnOnce() -> RgbImage + Send>;

/// Background painters, encoders and writers of image files that can be made again, each
/// written atomically but unsynced (see [`atomic_write::write_bytes_unsynced`]).
pub struct Writer {
    queue: mpsc::SyncSender<(PathBuf, Draw, Encoding)>,
    threads: Vec<JoinHandle<Result<(), WriteError>>>,
}

impl Writer {
    /// Starts the writing threads.
    pub fn new() -> Self {
        let (queue, files) = mpsc::sync_channel::<(PathBuf, Draw, Encoding)>(QUEUED);
        let files = Arc::new(Mutex::new(files));
        let threads = (0..THREADS)
            .map(|_| {
                let files = Arc::clone(&files);
                std::thread::spawn(move || {
                    loop {
                        let next = files.lock().expect("the queue's lock").recv();
                        let Ok((path, draw, encoding)) = next else {
                            return Ok(());
                        };
                        atomic_write::write_bytes_unsynced(&path, &encoding.encode(&draw()))?;
                    }
                })
            })
            .collect();
        Self { queue, threads }
    }

    /// Queues `image` to be encoded as PNG and written to `path`.
    pub fn png(&self, path: PathBuf, image: RgbImage) {
        self.draw_png(path, move || image);
    }

    /// Queues a figure to be drawn by `draw`, encoded as PNG and written to `path`, all on a
    /// writing thread.
    pub fn draw_png(&self, path: PathBuf, draw: impl FnOnce() -> RgbImage + Send + 'static) {
        self.queue(path, Box::new(draw), Encoding::Png);
    }

    /// Queues `image` to be encoded as JPEG and written to `path`.
    pub fn jpeg(&self, path: PathBuf, image: RgbImage) {
        self.queue(path, Box::new(move || image), Encoding::Jpeg);
    }

    fn queue(&self, path: PathBuf, draw: Draw, encoding: Encoding) {
        // A failed thread keeps its error for `finish`; the others go on with the queue.
        let _ = self.queue.send((path, draw, encoding));
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
