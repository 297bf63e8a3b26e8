//! Drawing and saving maps: JET overlays as pytorch-grad-cam draws them, titled figure grids,
//! and `.npy` files. Every file is written atomically.

pub mod figure;
mod jet_table;
pub mod npy;
pub mod overlay;
