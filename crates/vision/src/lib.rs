//! Images into and out of the model: the one path every command shares.
//!
//! [`decode`] reads any image file to RGB (and masks to grey), checking for cut-short files;
//! [`geometry`] fits it to the model's square input as torchvision does ([`Resize`],
//! [`EvalTransform`], [`RandomResizedCrop`]), masks pixel for pixel with it; [`normalize`]
//! turns pictures at model size into the input tensor and back; [`resize`] is Pillow's
//! bilinear filter for pictures and maps.
//!
//! ```
//! use vision::{EvalTransform, Resize};
//!
//! // torchvision's evaluation recipe at 224 px: short side to 256, centre 224 × 224.
//! let transform = EvalTransform { size: 224, resize: Resize::Crop };
//! assert_eq!(transform.base_size((640, 480)), (341, 256));
//! assert_eq!(transform.crop_region((341, 256)), (58, 16, 224, 224));
//! ```

pub mod decode;
pub mod geometry;
pub mod normalize;
pub mod resize;

pub use decode::{ImageError, SUPPORTED, load_mask, load_rgb, load_rgb_for, probe};
pub use geometry::{EvalTransform, RandomResizedCrop, Region, Resize};
pub use normalize::{Normalization, batch, denormalize, normalize};
