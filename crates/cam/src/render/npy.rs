//! Raw maps as NumPy `.npy` files.

use std::path::Path;

use atomic_write::WriteError;
use npyz::WriterBuilder;

/// Writes `data` (row-major, `shape`) as a float32 `.npy` file, atomically.
pub fn save_npy(data: &[f32], shape: &[usize], path: &Path) -> Result<(), WriteError> {
    assert_eq!(
        data.len(),
        shape.iter().product::<usize>(),
        "data does not fill shape"
    );
    let mut bytes = Vec::new();
    let shape: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
    let write = |bytes: &mut Vec<u8>| -> std::io::Result<()> {
        let mut writer = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&shape)
            .writer(bytes)
            .begin_nd()?;
        writer.extend(data.iter().copied())?;
        writer.finish()
    };
    write(&mut bytes).expect("writing .npy into memory");
    atomic_write::write_bytes(path, &bytes)
}
